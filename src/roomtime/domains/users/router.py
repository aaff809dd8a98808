"""GET /me, and account administration for admins."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from roomtime.api.deps import SessionDep
from roomtime.api.problems import COMMON_RESPONSES, problem_responses
from roomtime.core.ids import id_path
from roomtime.core.pagination import Page, PageParamsDep
from roomtime.domains.auth import service as auth_service
from roomtime.domains.auth.dependencies import AccountUpdateDepsDep, AdminUser, CurrentUser
from roomtime.domains.users import service
from roomtime.domains.users.schemas import ProfileUpdate, UserAdminRead, UserRead

router = APIRouter(tags=["users"], responses=COMMON_RESPONSES)

UserId = Annotated[int, id_path("User id")]


class AccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "admin"] | None = None
    is_active: bool | None = None


@router.patch(
    "/users/me",
    response_model=UserRead,
    summary="Change your name or Telegram chat id (alias of PATCH /me)",
    responses=problem_responses(401, 422),
)
@router.patch(
    "/me",
    response_model=UserRead,
    summary="Change your name or Telegram chat id",
    description="Fields left out stay as they are; `null` clears them. A Telegram chat id "
    "makes the worker send a copy of your notifications there (when the service has a bot "
    "token). Role and status cannot be changed here (422).",
    responses=problem_responses(401, 422),
)
async def update_me(body: ProfileUpdate, user: CurrentUser, session: SessionDep) -> UserRead:
    changes = body.model_dump(exclude_unset=True)
    return UserRead.model_validate(await service.update_profile(session, user, changes))


@router.get(
    "/users/me",
    response_model=UserRead,
    summary="The signed-in user (alias of GET /me)",
    responses=problem_responses(401),
)
@router.get(
    "/me", response_model=UserRead, summary="The signed-in user", responses=problem_responses(401)
)
async def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.get(
    "/users",
    response_model=Page[UserAdminRead],
    summary="List accounts (admin)",
    responses=problem_responses(401, 403, 422),
)
async def list_users(
    _: AdminUser,
    session: SessionDep,
    paging: PageParamsDep,
    role: Literal["user", "admin", "specialist"] | None = None,
) -> Page[UserAdminRead]:
    users, total = await service.list_users(
        session, limit=paging.limit, offset=paging.offset, role=role
    )
    return paging.page([UserAdminRead.model_validate(u) for u in users], total)


@router.patch(
    "/users/{user_id}",
    response_model=UserAdminRead,
    summary="Change an account's role or deactivate it (admin)",
    description="Deactivation revokes every refresh token of the account at once; its access "
    "tokens stop working on the next request because the account is checked on every call.",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_user(
    user_id: UserId, body: AccountUpdate, admin: AdminUser, deps: AccountUpdateDepsDep
) -> UserAdminRead:
    user = await auth_service.update_account(
        deps, user_id, role=body.role, is_active=body.is_active, actor_user_id=admin.id
    )
    return UserAdminRead.model_validate(user)
