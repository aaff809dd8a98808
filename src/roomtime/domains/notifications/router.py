"""/notifications: the signed-in user's in-app inbox (R-37). Only one's own messages: any
other id answers 404, never revealing that it exists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from roomtime.api.deps import ClockDep, SessionDep
from roomtime.api.problems import COMMON_RESPONSES, coded_problems, problem_responses
from roomtime.core.ids import id_path
from roomtime.core.pagination import Page, PageParamsDep
from roomtime.domains.auth.dependencies import CurrentUser
from roomtime.domains.notifications import service
from roomtime.domains.notifications.schemas import NotificationRead, UnreadCount

router = APIRouter(prefix="/notifications", tags=["notifications"], responses=COMMON_RESPONSES)

NotificationId = Annotated[int, id_path("Notification id")]

_NOT_FOUND = coded_problems(
    404,
    ("notification_not_found", "Notification not found", "Notification 42 does not exist"),
)


@router.get(
    "",
    response_model=Page[NotificationRead],
    summary="Your notifications, newest first",
    description="Every message mailed to you (booking confirmed, changed, cancelled, hold "
    "expired, reminders, password changed) is also kept here. Links to reset a password or "
    "verify an address are mail only. `unread=true` lists only those not yet acknowledged.",
    responses=problem_responses(401, 422),
)
async def list_notifications(
    user: CurrentUser,
    session: SessionDep,
    paging: PageParamsDep,
    unread: Annotated[bool, Query(description="Only unacknowledged notifications")] = False,
) -> Page[NotificationRead]:
    items, total = await service.list_notifications(
        session, user.id, unread_only=unread, limit=paging.limit, offset=paging.offset
    )
    return paging.page([NotificationRead.model_validate(n) for n in items], total)


@router.get(
    "/unread-count",
    response_model=UnreadCount,
    summary="How many of your notifications are unread",
    responses=problem_responses(401),
)
async def unread_count(user: CurrentUser, session: SessionDep) -> UnreadCount:
    return UnreadCount(unread=await service.unread_count(session, user.id))


@router.post(
    "/ack-all",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Mark all your notifications read",
    responses=problem_responses(401),
)
async def ack_all(user: CurrentUser, session: SessionDep, clock: ClockDep) -> Response:
    await service.ack_all(session, user.id, clock())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{notification_id}/ack",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Mark one of your notifications read",
    description="Idempotent: acknowledging again keeps the first `acked_at`. Another "
    "user's notification (or none) is 404 `notification_not_found`.",
    responses={**problem_responses(401), **_NOT_FOUND},
)
async def ack(
    notification_id: NotificationId, user: CurrentUser, session: SessionDep, clock: ClockDep
) -> Response:
    await service.ack_notification(session, user.id, notification_id, clock())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
