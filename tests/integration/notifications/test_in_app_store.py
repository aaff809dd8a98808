"""R-37: the outbox's enqueue path keeps a copy of each user-addressed message in the user's
inbox, in the caller's transaction: once per dedupe key, never a secret link, and even when
the hourly mail cap drops the mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from roomtime.core import tx
from roomtime.core.clock import FrozenClock
from roomtime.core.db import create_sessionmaker
from roomtime.domains.notifications import templates
from roomtime.domains.notifications.senders import FileSender
from roomtime.domains.notifications.service import Notifier
from tests.factories import rows

pytestmark = pytest.mark.integration

FACTS = templates.BookingFacts(7, "Blue room", "Mon 07 Jan 2030 10:00 (UTC)", "11:00")


@pytest.fixture
def notifier(engine: AsyncEngine, clock: FrozenClock, tmp_path: Path) -> Notifier:
    # Not delivered (immediate=False): the rows written in the transaction are under test.
    sender = FileSender(tmp_path / "mail", "roomtime@example.com")
    return Notifier(
        create_sessionmaker(engine), sender, clock, immediate=False, max_per_user_per_hour=2
    )


async def _inbox(session: AsyncSession, user_id: int) -> list[dict[str, object]]:
    result = await session.execute(
        text(
            "SELECT kind, title, body, cta_url, cta_label, acked_at, created_at "
            "FROM notification WHERE user_id = :u ORDER BY id"
        ),
        {"u": user_id},
    )
    return [dict(row._mapping) for row in result]


async def _enqueue(
    notifier: Notifier,
    session: AsyncSession,
    user_id: int,
    email: str,
    message: templates.Message,
    key: str | None,
) -> int | None:
    async with tx.transactional(session):
        return await notifier.enqueue_email(
            session, to=email, message=message, user_id=user_id, dedupe_key=key
        )


async def test_a_users_message_is_kept_with_its_title_body_and_link(
    notifier: Notifier, session: AsyncSession, clock: FrozenClock
) -> None:
    user = await rows.user(session)
    await session.commit()
    message = templates.booking_confirmed(FACTS)
    assert await _enqueue(notifier, session, user.id, user.email, message, "confirmed:7")
    [stored] = await _inbox(session, user.id)
    assert stored["kind"] == "booking_confirmed"
    assert stored["title"] == message.subject and stored["body"] == message.body
    assert stored["cta_url"] == "/bookings/7" and stored["cta_label"] == "View booking"
    assert stored["acked_at"] is None and stored["created_at"] == clock()


async def test_the_same_dedupe_key_is_stored_once(
    notifier: Notifier, session: AsyncSession
) -> None:
    user = await rows.user(session)
    await session.commit()
    message = templates.booking_confirmed(FACTS)
    first = await _enqueue(notifier, session, user.id, user.email, message, "confirmed:7")
    again = await _enqueue(notifier, session, user.id, user.email, message, "confirmed:7")
    assert first is not None and again is None
    assert len(await _inbox(session, user.id)) == 1


async def test_nothing_is_kept_when_the_transaction_rolls_back(
    notifier: Notifier, session: AsyncSession
) -> None:
    user = await rows.user(session)
    await session.commit()
    user_id, email = user.id, user.email  # the rollback expires the row
    with pytest.raises(RuntimeError):
        async with tx.transactional(session):
            await notifier.enqueue_email(
                session,
                to=email,
                message=templates.booking_confirmed(FACTS),
                user_id=user_id,
                dedupe_key="confirmed:7",
            )
            raise RuntimeError("the use case failed after queueing its message")
    assert await _inbox(session, user_id) == []
    assert await session.scalar(text("SELECT count(*) FROM notification_outbox")) == 0


async def test_secret_links_stay_in_the_mailbox_only(
    notifier: Notifier, session: AsyncSession
) -> None:
    user = await rows.user(session)
    await session.commit()
    reset = templates.password_reset("http://test/reset?token=secret", 30)
    assert await _enqueue(notifier, session, user.id, user.email, reset, None)
    assert await _inbox(session, user.id) == []


async def test_mail_to_an_address_without_an_account_is_not_kept(
    notifier: Notifier, session: AsyncSession
) -> None:
    async with tx.transactional(session):
        await notifier.enqueue_email(
            session, to="nobody@example.com", message=templates.booking_confirmed(FACTS)
        )
    assert await session.scalar(text("SELECT count(*) FROM notification")) == 0


async def test_the_inbox_keeps_what_the_mail_cap_drops(
    notifier: Notifier, session: AsyncSession
) -> None:
    user = await rows.user(session)
    await session.commit()
    queued = [
        await _enqueue(
            notifier, session, user.id, user.email, templates.booking_confirmed(FACTS), f"k{i}"
        )
        for i in range(3)
    ]
    assert queued[2] is None  # over the cap of 2 mails an hour
    assert len(await _inbox(session, user.id)) == 3
