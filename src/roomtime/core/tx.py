"""One use case = one transaction, plus side effects that run only after it commits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger(__name__)

AfterCommit = Callable[[], Awaitable[None]]
_HOOKS = "roomtime.on_commit"
_ACTIVE = "roomtime.tx_active"


class NestedTransactionError(RuntimeError):
    """A service opened a transaction inside another one; nested calls must reuse it."""


@asynccontextmanager
async def transactional(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Run the block as one transaction and commit it, then run the on_commit hooks.

    Reads done on the session before the block (SQLAlchemy autobegins a transaction for
    them) become part of this transaction; that is what lets a service load and validate
    first and lock as late as possible.
    """
    if session.info.get(_ACTIVE):
        raise NestedTransactionError("a transaction is already open on this session")
    session.info[_ACTIVE] = True
    session.info[_HOOKS] = []
    try:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        hooks: list[AfterCommit] = session.info.pop(_HOOKS, [])
    finally:
        session.info[_ACTIVE] = False
        session.info.pop(_HOOKS, None)
    for hook in hooks:
        await _run_hook(hook)


def on_commit(session: AsyncSession, hook: AfterCommit) -> None:
    """Run `hook` once the current transaction has committed; dropped on rollback."""
    hooks = session.info.get(_HOOKS)
    if hooks is None:
        raise RuntimeError("on_commit() called outside transactional()")
    hooks.append(hook)


async def _run_hook(hook: AfterCommit) -> None:
    # The data is already committed: a failing side effect (cache, queue) must not turn a
    # successful request into an error. Each hook says what covers for it (TTL, outbox).
    try:
        await hook()
    except Exception:
        log.exception("after_commit_hook_failed", hook=getattr(hook, "__qualname__", repr(hook)))
