"""Users with access tokens, for tests that need an authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import utcnow
from roomtime.domains.auth import tokens
from roomtime.domains.auth.tokens import jwt_config
from roomtime.domains.users.models import User
from roomtime.settings import Settings
from tests.factories import rows


@dataclass
class Caller:
    user: User
    headers: dict[str, str]


def bearer(settings: Settings, user: User, now: datetime | None = None) -> dict[str, str]:
    token = tokens.issue_access_token(
        jwt_config(settings), user_id=user.id, role=user.role, now=now or utcnow()
    )
    return {"Authorization": f"Bearer {token}"}


async def make_caller(
    session: AsyncSession, settings: Settings, *, role: str = "user", **overrides: object
) -> Caller:
    """Insert and commit a user, and return it with its Authorization header."""
    user = await rows.user(session, role=role, **overrides)
    await session.commit()
    return Caller(user, bearer(settings, user))
