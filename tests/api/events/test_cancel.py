"""POST /events/{id}/cancel and GET /events/{id}/participants (R-36)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.events.conftest import EventsApp

pytestmark = pytest.mark.api


async def test_cancel_cancels_every_live_booking_and_tells_each_participant_once(
    events: EventsApp,
) -> None:
    event = await events.create(total_seats=10, booking_ttl_minutes=10)
    payer, holder, late, gone = [await events.user() for _ in range(4)]
    paid = (await events.book(payer, event["id"], seats=2)).json()
    assert (await events.confirm(payer, paid["id"])).status_code == 201
    overdue = (await events.book(late, event["id"])).json()
    own = (await events.book(gone, event["id"])).json()
    await events.client.post(f"/bookings/{own['id']}/cancel", headers=gone.headers)
    events.advance(minutes=5)
    pending = (await events.book(holder, event["id"])).json()
    events.advance(minutes=6)  # `late`'s hold ran out (unswept); the others did not
    await events.drain()
    mails_before = len(events.base.inbox.messages)

    answer = await events.cancel(event["id"], "The venue flooded")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled"
    statuses = dict(
        (await events.base.session.execute(text("SELECT id, status FROM booking"))).all()
    )
    await events.base.session.commit()
    assert statuses == {
        paid["id"]: "cancelled",
        pending["id"]: "cancelled",
        own["id"]: "cancelled",
        overdue["id"]: "expired",
    }
    assert await events.scalar("SELECT seats_taken FROM time_slot") == 0
    assert await events.scalar("SELECT status FROM time_slot") == "blocked"
    told = "SELECT user_id FROM notification_outbox WHERE kind = 'event_cancelled' ORDER BY 1"
    rows = (await events.base.session.execute(text(told))).scalars()
    assert sorted(rows) == sorted([payer.user.id, holder.user.id])
    await events.base.session.commit()
    await events.drain()
    mails = (await events.base.inbox.wait_for(mails_before + 3))[mails_before:]
    subjects = sorted(m["Subject"] for m in mails)
    assert subjects.count("Cancelled: Go Conference") == 2  # payer and holder
    assert any("expired" in s for s in subjects)  # late's hold, as any expiry
    assert all("The venue flooded" in m.get_content() for m in mails if "Cancelled" in m["Subject"])
    audited = "SELECT meta FROM audit_log WHERE action = 'event.cancelled'"
    meta = await events.scalar(audited)
    assert meta["reason"] == "The venue flooded"
    assert sorted(meta["bookings_cancelled"]) == sorted([paid["id"], pending["id"]])

    again = await events.cancel(event["id"], "twice")
    assert (again.status_code, again.json()["status"]) == (200, "cancelled")
    assert (
        await events.scalar("SELECT count(*) FROM audit_log WHERE action = 'event.cancelled'") == 1
    )
    newcomer = await events.user()
    refused = await events.book(newcomer, event["id"])
    assert (refused.status_code, refused.json()["code"]) == (409, "event_cancelled")
    confirm = await events.confirm(holder, pending["id"])
    assert (confirm.status_code, confirm.json()["code"]) == (409, "booking_not_pending")
    patch = await events.client.patch(
        f"/events/{event['id']}", json={"name": "Back on"}, headers=events.admin.headers
    )
    assert (patch.status_code, patch.json()["code"]) == (409, "event_cancelled")


async def test_cancel_needs_a_reason(events: EventsApp) -> None:
    event = await events.create()
    for body in [{}, {"reason": ""}, {"reason": "x" * 501}, None]:
        answer = await events.client.post(
            f"/events/{event['id']}/cancel", json=body, headers=events.admin.headers
        )
        assert answer.status_code == 422, answer.text
    assert (await events.get(event["id"]))["status"] == "scheduled"


async def test_an_ended_event_cannot_be_cancelled(events: EventsApp) -> None:
    event = await events.create()
    events.advance(days=4)
    answer = await events.cancel(event["id"])
    assert (answer.status_code, answer.json()["code"]) == (409, "event_ended")


async def test_participants_lists_live_bookings_with_who_made_them(events: EventsApp) -> None:
    event = await events.create(booking_ttl_minutes=10)
    a, b, c = await events.user(), await events.user(), await events.user()
    first = (await events.book(a, event["id"], seats=3)).json()
    await events.confirm(a, first["id"])
    events.advance(minutes=1)
    second = (await events.book(b, event["id"])).json()
    cancelled = (await events.book(c, event["id"])).json()
    await events.client.post(f"/bookings/{cancelled['id']}/cancel", headers=c.headers)
    answer = await events.client.get(
        f"/events/{event['id']}/participants", headers=events.admin.headers
    )
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["total"] == 2
    assert [(p["booking_id"], p["email"], p["status"], p["seats"]) for p in page["items"]] == [
        (first["id"], a.user.email, "confirmed", 3),
        (second["id"], b.user.email, "pending", 1),
    ]
    events.advance(minutes=10)  # b's booking ran out
    later = await events.client.get(
        f"/events/{event['id']}/participants", headers=events.admin.headers
    )
    assert [p["booking_id"] for p in later.json()["items"]] == [first["id"]]
    missing = await events.client.get("/events/999/participants", headers=events.admin.headers)
    assert missing.status_code == 404
