"""GET /audit (admin): the trail of every change (R-31), newest first."""

from __future__ import annotations

from fastapi import APIRouter, Query

from roomtime.api.deps import SessionDep
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.core.ids import MAX_ID
from roomtime.core.pagination import Page, PageParamsDep
from roomtime.core.text import Text
from roomtime.domains.audit import service
from roomtime.domains.audit.schemas import AuditRead
from roomtime.domains.auth.dependencies import AdminUser

router = APIRouter(tags=["audit"], responses=COMMON_RESPONSES)


@router.get(
    "/audit",
    response_model=Page[AuditRead],
    summary="Audit trail (admin)",
    description="Filter by `entity` (booking, resource, user …), `entity_id`, "
    "`actor_user_id` and `action` (e.g. booking.confirmed).",
    responses=problem_responses(401, 403, 422),
)
async def list_audit(
    _: AdminUser,
    session: SessionDep,
    paging: PageParamsDep,
    entity: Text | None = Query(None, max_length=50),
    entity_id: Text | None = Query(None, max_length=100),
    actor_user_id: int | None = Query(None, ge=1, le=MAX_ID),
    action: Text | None = Query(None, max_length=100),
) -> Page[AuditRead]:
    rows, total = await service.list_entries(
        session,
        entity=entity,
        entity_id=entity_id,
        actor_user_id=actor_user_id,
        action=action,
        limit=paging.limit,
        offset=paging.offset,
    )
    return paging.page([AuditRead.model_validate(r) for r in rows], total)
