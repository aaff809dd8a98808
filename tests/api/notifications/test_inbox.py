"""/notifications (R-37): the signed-in user's own messages, newest first, with an unread
count and acknowledgements; another user's notification is 404."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.bookings.conftest import BookingApp, at
from tests.factories.auth import Caller

pytestmark = pytest.mark.api


async def _cancel(app: BookingApp, who: Caller, booking_id: int) -> None:
    r = await app.client.post(f"/bookings/{booking_id}/cancel", headers=who.headers)
    assert r.status_code == 200, r.text


async def _unread(app: BookingApp, who: Caller) -> int:
    r = await app.client.get("/notifications/unread-count", headers=who.headers)
    assert r.status_code == 200, r.text
    return int(r.json()["unread"])


async def test_a_confirmation_appears_in_the_owners_inbox(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    r = await booking_app.client.get("/notifications", headers=ada.headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 1 and page["limit"] == 20 and page["offset"] == 0
    [item] = page["items"]
    assert set(item) == {"id", "title", "body", "cta_url", "cta_label", "created_at", "acked_at"}
    assert item["title"].startswith(f"Booking #{booking['id']} confirmed")
    assert f"#{booking['id']}" in item["body"]
    assert item["cta_url"] == f"/bookings/{booking['id']}"
    assert item["cta_label"] == "View booking"
    assert item["acked_at"] is None
    assert await _unread(booking_app, ada) == 1
    # The mail still goes out, as before.
    [mail] = await booking_app.inbox.wait_for(1)
    assert mail["Subject"] == item["title"]


async def test_newest_first_paged_and_unread_filter(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    first = await booking_app.book(ada, room, at(10), at(11))
    booking_app.advance(minutes=1)
    await _cancel(booking_app, ada, first["id"])
    booking_app.advance(minutes=1)
    second = await booking_app.book(ada, room, at(12), at(13))
    r = await booking_app.client.get("/notifications?limit=2", headers=ada.headers)
    page = r.json()
    assert page["total"] == 3 and len(page["items"]) == 2
    titles = [n["title"] for n in page["items"]]
    assert titles[0].startswith(f"Booking #{second['id']} confirmed")
    assert titles[1].startswith(f"Booking #{first['id']} cancelled")
    rest = (await booking_app.client.get("/notifications?offset=2", headers=ada.headers)).json()
    [oldest] = rest["items"]
    assert oldest["title"].startswith(f"Booking #{first['id']} confirmed")

    newest = page["items"][0]["id"]
    ack = await booking_app.client.post(f"/notifications/{newest}/ack", headers=ada.headers)
    assert ack.status_code == 204 and ack.content == b""
    unread = (
        await booking_app.client.get("/notifications?unread=true", headers=ada.headers)
    ).json()
    assert unread["total"] == 2 and newest not in [n["id"] for n in unread["items"]]
    assert await _unread(booking_app, ada) == 2


async def test_ack_is_idempotent_and_keeps_the_first_time(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    await booking_app.book(ada, room, at(10), at(11))
    [item] = (await booking_app.client.get("/notifications", headers=ada.headers)).json()["items"]
    url = f"/notifications/{item['id']}/ack"
    assert (await booking_app.client.post(url, headers=ada.headers)).status_code == 204
    first = (await booking_app.client.get("/notifications", headers=ada.headers)).json()
    booking_app.advance(minutes=5)
    assert (await booking_app.client.post(url, headers=ada.headers)).status_code == 204
    again = (await booking_app.client.get("/notifications", headers=ada.headers)).json()
    assert first["items"][0]["acked_at"] is not None
    assert again["items"][0]["acked_at"] == first["items"][0]["acked_at"]
    audited = await booking_app.session.scalar(
        text("SELECT count(*) FROM audit_log WHERE action = 'notification.acked'")
    )
    assert audited == 1


async def test_ack_all_marks_every_unread_one(booking_app: BookingApp) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    await _cancel(booking_app, ada, booking["id"])
    await booking_app.book(bob, room, at(12), at(13))
    assert await _unread(booking_app, ada) == 2
    r = await booking_app.client.post("/notifications/ack-all", headers=ada.headers)
    assert r.status_code == 204
    assert await _unread(booking_app, ada) == 0
    assert await _unread(booking_app, bob) == 1  # only one's own
    again = await booking_app.client.post("/notifications/ack-all", headers=ada.headers)
    assert again.status_code == 204
    assert (
        await booking_app.session.scalar(
            text("SELECT meta->>'acked' FROM audit_log WHERE action = 'notification.acked_all'")
        )
        == "2"
    )


async def test_another_users_notification_is_404_and_stays_unread(
    booking_app: BookingApp,
) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    await booking_app.book(ada, room, at(10), at(11))
    [item] = (await booking_app.client.get("/notifications", headers=ada.headers)).json()["items"]
    r = await booking_app.client.post(f"/notifications/{item['id']}/ack", headers=bob.headers)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "notification_not_found"
    missing = await booking_app.client.post("/notifications/999999/ack", headers=bob.headers)
    assert missing.status_code == 404 and missing.json()["detail"] == r.json()["detail"].replace(
        str(item["id"]), "999999"
    )
    bobs = (await booking_app.client.get("/notifications", headers=bob.headers)).json()
    assert bobs["total"] == 0
    assert await _unread(booking_app, ada) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/notifications"),
        ("GET", "/notifications/unread-count"),
        ("POST", "/notifications/1/ack"),
        ("POST", "/notifications/ack-all"),
    ],
)
async def test_sign_in_is_required(booking_app: BookingApp, method: str, path: str) -> None:
    r = await booking_app.client.request(method, path)
    assert r.status_code == 401 and r.json()["code"]


@pytest.mark.parametrize(
    "path",
    [
        "/notifications?unread=maybe",
        "/notifications?limit=0",
        "/notifications?limit=101",
        "/notifications?offset=-1",
    ],
)
async def test_bad_query_is_a_422_problem(booking_app: BookingApp, path: str) -> None:
    ada = await booking_app.caller()
    r = await booking_app.client.get(path, headers=ada.headers)
    assert r.status_code == 422 and r.json()["details"]


@pytest.mark.parametrize("raw", ["0", "-3", "abc", str(2**63)])
async def test_bad_ids_are_422_never_500(booking_app: BookingApp, raw: str) -> None:
    ada = await booking_app.caller()
    r = await booking_app.client.post(f"/notifications/{raw}/ack", headers=ada.headers)
    assert r.status_code == 422, r.text


async def test_openapi_documents_the_inbox(booking_app: BookingApp) -> None:
    schema = (await booking_app.client.get("/openapi.json")).json()
    paths = schema["paths"]
    assert set(paths["/notifications"]) == {"get"}
    assert "/notifications/unread-count" in paths and "/notifications/ack-all" in paths
    ack = paths["/notifications/{notification_id}/ack"]["post"]
    assert {"204", "401", "404", "422"} <= set(ack["responses"])
    examples = ack["responses"]["404"]["content"]["application/problem+json"]["examples"]
    assert "notification_not_found" in examples
