"""GET /reports/utilization (admin): the daily per-resource utilisation summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from roomtime.api.deps import SessionDep
from roomtime.api.problems import problem_responses
from roomtime.core.pagination import PageParamsDep
from roomtime.domains.auth.dependencies import AdminUser
from roomtime.domains.reports import service
from roomtime.domains.reports.schemas import UtilizationPage, UtilizationQuery, UtilizationRead

router = APIRouter(prefix="/reports", tags=["reports"])


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
    session: SessionDep,
    filters: Annotated[UtilizationQuery, Query()],
    page: PageParamsDep,
) -> UtilizationPage:
    rows, total = await service.list_utilization(
        session,
        date_from=filters.date_from,
        date_to=filters.date_to,
        resource_id=filters.resource_id,
        limit=page.limit,
        offset=page.offset,
    )
    items = [UtilizationRead.model_validate(r) for r in rows]
    return page.page(items, total)
