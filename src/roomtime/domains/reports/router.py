"""GET /reports/utilization (admin): the daily per-resource utilisation summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.api.deps import ReadsDep
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.core.pagination import PageParamsDep
from roomtime.domains.auth.dependencies import AdminUser
from roomtime.domains.reports import service
from roomtime.domains.reports.schemas import UtilizationPage, UtilizationQuery, UtilizationRead

router = APIRouter(prefix="/reports", tags=["reports"], responses=COMMON_RESPONSES)


@router.get(
    "/utilization",
    response_model=UtilizationPage,
    summary="Daily utilisation per resource (admin)",
    description="One row per resource and completed local day, written by the daily "
    "`archive-bookings` job. Filters: `date_from`/`date_to` (YYYY-MM-DD, inclusive), "
    "`resource_id`. Ordered by day, then resource.",
    responses=problem_responses(401, 403, 422),
)
async def utilization(
    _: AdminUser,
    reads: ReadsDep,
    filters: Annotated[UtilizationQuery, Query()],
    page: PageParamsDep,
) -> UtilizationPage:
    async def read(session: AsyncSession) -> UtilizationPage:
        rows, total = await service.list_utilization(
            session,
            date_from=filters.date_from,
            date_to=filters.date_to,
            resource_id=filters.resource_id,
            limit=page.limit,
            offset=page.offset,
        )
        return page.page([UtilizationRead.model_validate(r) for r in rows], total)

    # Written by a daily job, never by the reader: any replica's copy will do (fence 0).
    return await reads.run(0, read)
