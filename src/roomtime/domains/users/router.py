"""GET /me, and account administration for admins."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from roomtime.api.deps import SessionDep
from roomtime.api.problems import problem_responses
from roomtime.domains.auth.dependencies import AdminUser, AuthServiceDep, CurrentUser
from roomtime.domains.users import service
from roomtime.domains.users.schemas import UserAdminRead, UserPage, UserRead

router = APIRouter(tags=["users"])


class AccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "admin"] | None = None
    is_active: bool | None = None


@router.get(
    "/me", response_model=UserRead, summary="The signed-in user", responses=problem_responses(401)
)
async def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.get(
    "/users",
    response_model=UserPage,
    summary="List accounts (admin)",
    responses=problem_responses(401, 403, 422),
)
async def list_users(
    _: AdminUser,
    session: SessionDep,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
    role: Literal["user", "admin"] | None = None,
) -> UserPage:
    users, total = await service.list_users(session, limit=limit, offset=offset, role=role)
    items = [UserAdminRead.model_validate(u) for u in users]
    return UserPage(items=items, total=total, limit=limit, offset=offset)


@router.patch(
    "/users/{user_id}",
    response_model=UserAdminRead,
    summary="Change an account's role or deactivate it (admin)",
    description="Deactivation revokes every refresh token of the account at once; its access "
    "tokens stop working on the next request because the account is checked on every call.",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_user(
    user_id: int, body: AccountUpdate, admin: AdminUser, auth: AuthServiceDep
) -> UserAdminRead:
    user = await auth.update_account(
        user_id, role=body.role, is_active=body.is_active, actor_user_id=admin.id
    )
    return UserAdminRead.model_validate(user)
