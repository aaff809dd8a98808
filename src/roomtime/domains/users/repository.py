"""SQL for users. Flushes, never commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.pagination import fetch_page
from roomtime.domains.users.models import User


async def get(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_for_update(session: AsyncSession, user_id: int) -> User | None:
    """The user row, locked until the transaction ends and re-read (not from the identity map).

    Pending changes are flushed first: the re-read would otherwise overwrite them.
    """
    await session.flush()
    stmt = (
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    stmt = select(User).where(func.lower(User.email) == email.lower())
    return (await session.execute(stmt)).scalar_one_or_none()


async def add(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user


async def list_page(
    session: AsyncSession, *, limit: int, offset: int, role: str | None
) -> tuple[list[User], int]:
    stmt = select(User)
    if role is not None:
        stmt = stmt.where(User.role == role)
    return await fetch_page(session, stmt, [User.id], limit, offset)
