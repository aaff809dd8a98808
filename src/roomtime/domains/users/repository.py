"""SQL for users. Flushes, never commits."""

from __future__ import annotations

from asyncpg import Record
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.pagination import fetch_page
from roomtime.core.prepared import Prepared, param
from roomtime.domains.users.models import User


async def get(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


_ACTIVE_CALLER = Prepared(
    lambda: select(User.id, User.role, User.email, User.email_verified_at).where(
        User.id == param("user_id", User.id.type), User.is_active.is_(True)
    )
)


async def get_active_caller(session: AsyncSession, user_id: int) -> Record | None:
    """What a request needs of its caller's account (id, role, address, proof of it), read
    raw in one statement; None when there is no such active account."""
    return await _ACTIVE_CALLER.fetchrow(session, user_id=user_id)


_EMAIL = Prepared(lambda: select(User.email).where(User.id == param("user_id", User.id.type)))


async def get_email(session: AsyncSession, user_id: int) -> str | None:
    email: str | None = await _EMAIL.fetchval(session, user_id=user_id)
    return email


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
