"""POST/GET/PATCH /events (R-36): shapes, validation, ordering, audit, hidden resources."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.events.conftest import STARTS, EventsApp, event_body

pytestmark = pytest.mark.api


async def test_create_returns_the_event_with_all_its_seats(events: EventsApp) -> None:
    created = await events.create()
    assert created["status"] == "scheduled"
    assert created["total_seats"] == 10 and created["available_seats"] == 10
    assert created["booking_ttl_minutes"] == 15 and created["image_url"] is None
    expected = {
        "id", "name", "short_description", "description", "starts_at", "ends_at", "location",
        "total_seats", "available_seats", "booking_ttl_minutes", "payment_info", "status",
        "image_url", "created_at",
    }  # fmt: skip
    assert set(created) == expected
    assert await events.get(created["id"]) == created
    audited = "SELECT count(*) FROM audit_log WHERE action = 'event.created' AND entity_id = :i"
    assert await events.scalar(audited, i=str(created["id"])) == 1


async def test_unlimited_event_shows_no_seat_numbers(events: EventsApp) -> None:
    created = await events.create(total_seats=None)
    assert created["total_seats"] is None and created["available_seats"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"total_seats": 0}, "total_seats"),
        ({"total_seats": -5}, "total_seats"),
        ({"booking_ttl_minutes": 0}, "booking_ttl_minutes"),
        ({"booking_ttl_minutes": 1441}, "booking_ttl_minutes"),
        ({"name": "  "}, "name"),
        ({"starts_at": "2030-01-10T10:00:00"}, "starts_at"),
        ({"ends_at": STARTS.isoformat()}, "body"),
        ({"ends_at": (STARTS + timedelta(days=40)).isoformat()}, "body"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    events: EventsApp, overrides: dict[str, object], field: str
) -> None:
    answer = await events.client.post(
        "/events", json=event_body(**overrides), headers=events.admin.headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert any(field in d["field"] for d in answer.json()["details"]), answer.json()
    assert await events.scalar("SELECT count(*) FROM event") == 0


async def test_total_seats_must_be_given_even_if_null(events: EventsApp) -> None:
    body = event_body()
    del body["total_seats"]
    answer = await events.client.post("/events", json=body, headers=events.admin.headers)
    assert answer.status_code == 422, answer.text


async def test_an_event_in_the_past_is_refused_and_nothing_is_written(events: EventsApp) -> None:
    past = events.now() - timedelta(hours=1)
    answer = await events.client.post(
        "/events",
        json=event_body(
            starts_at=past.isoformat(), ends_at=(past + timedelta(hours=2)).isoformat()
        ),
        headers=events.admin.headers,
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "starts_in_past")
    assert await events.scalar("SELECT count(*) FROM event") == 0
    assert await events.scalar("SELECT count(*) FROM resource") == 0


async def test_only_admins_create_change_and_cancel(events: EventsApp) -> None:
    user = await events.user()
    created = await events.create()
    eid = created["id"]
    for method, path, body in [
        ("POST", "/events", event_body()),
        ("PATCH", f"/events/{eid}", {"name": "Mine"}),
        ("POST", f"/events/{eid}/cancel", {"reason": "no"}),
        ("GET", f"/events/{eid}/participants", None),
    ]:
        answer = await events.client.request(method, path, json=body, headers=user.headers)
        assert answer.status_code == 403, (path, answer.text)
        anonymous = await events.client.request(method, path, json=body)
        assert anonymous.status_code == 401, (path, anonymous.text)
    assert (await events.get(eid))["name"] == "Go Conference"


async def test_unknown_event_is_404(events: EventsApp) -> None:
    user = await events.user()
    for method, path in [("GET", "/events/999"), ("POST", "/events/999/book")]:
        answer = await events.client.request(method, path, headers=user.headers)
        assert (answer.status_code, answer.json()["code"]) == (404, "event_not_found")


async def test_list_puts_upcoming_first_and_filters(events: EventsApp) -> None:
    later = await events.create(
        name="Later party",
        starts_at=(STARTS + timedelta(days=5)).isoformat(),
        ends_at=(STARTS + timedelta(days=5, hours=2)).isoformat(),
    )
    soon = await events.create(name="Soon talk", location="Hamburg")
    past = await events.create(
        name="Past meetup",
        starts_at=(events.now() + timedelta(hours=1)).isoformat(),
        ends_at=(events.now() + timedelta(hours=2)).isoformat(),
    )
    events.advance(hours=3)  # the meetup is over now
    listed = (await events.client.get("/events")).json()
    assert [e["id"] for e in listed["items"]] == [soon["id"], later["id"], past["id"]]
    assert listed["total"] == 3
    hamburg = (await events.client.get("/events", params={"q": "hamburg"})).json()
    assert [e["id"] for e in hamburg["items"]] == [soon["id"]]
    day = (STARTS + timedelta(days=5)).date().isoformat()
    window = (await events.client.get("/events", params={"from": day, "to": day})).json()
    assert [e["id"] for e in window["items"]] == [later["id"]]
    paged = (await events.client.get("/events", params={"limit": 1, "offset": 1})).json()
    assert [e["id"] for e in paged["items"]] == [later["id"]]
    bad = await events.client.get("/events", params={"from": "yesterday"})
    assert bad.status_code == 422


async def test_the_hidden_resource_is_not_listed_nor_holdable(events: EventsApp) -> None:
    created = await events.create()
    rid = await events.scalar("SELECT resource_id FROM event WHERE id = :i", i=created["id"])
    listed = (await events.client.get("/resources")).json()
    assert listed["total"] == 0
    admin_list = await events.client.get(
        "/resources", params={"include_inactive": "true"}, headers=events.admin.headers
    )
    assert admin_list.json()["total"] == 0
    user = await events.user()
    held = await events.base.hold(user, rid, STARTS, STARTS + timedelta(hours=8))
    assert (held.status_code, held.json()["code"]) == (404, "resource_not_found")
    edit = await events.client.put(
        f"/resources/{rid}", json={"capacity": 500}, headers=events.admin.headers
    )
    assert edit.status_code == 404


async def test_patch_changes_only_what_is_sent(events: EventsApp) -> None:
    created = await events.create()
    answer = await events.client.patch(
        f"/events/{created['id']}",
        json={"name": "GopherCon", "total_seats": 20, "payment_info": None},
        headers=events.admin.headers,
    )
    assert answer.status_code == 200, answer.text
    changed = answer.json()
    assert (changed["name"], changed["total_seats"], changed["available_seats"]) == (
        "GopherCon",
        20,
        20,
    )
    assert changed["payment_info"] is None and changed["location"] == "Berlin"
    capacity = "SELECT capacity FROM time_slot s JOIN event e ON e.resource_id = s.resource_id"
    assert await events.scalar(capacity) == 20
    audited = "SELECT meta FROM audit_log WHERE action = 'event.updated'"
    assert set((await events.scalar(audited))["changed"]) == {"name", "total_seats", "payment_info"}
    nulled = await events.client.patch(
        f"/events/{created['id']}", json={"name": None}, headers=events.admin.headers
    )
    assert nulled.status_code == 422


async def test_seats_cannot_go_below_those_booked(events: EventsApp) -> None:
    created = await events.create(total_seats=5)
    a, b = await events.user(), await events.user()
    assert (await events.book(a, created["id"], seats=2)).status_code == 201
    assert (await events.book(b, created["id"], seats=2)).status_code == 201
    answer = await events.client.patch(
        f"/events/{created['id']}", json={"total_seats": 3}, headers=events.admin.headers
    )
    assert (answer.status_code, answer.json()["code"]) == (409, "seats_below_booked")
    assert (await events.get(created["id"]))["total_seats"] == 5
    ok = await events.client.patch(
        f"/events/{created['id']}", json={"total_seats": 4}, headers=events.admin.headers
    )
    assert ok.status_code == 200 and ok.json()["available_seats"] == 0


async def test_moving_an_event_with_bookings_is_refused(events: EventsApp) -> None:
    created = await events.create()
    later = {
        "starts_at": (STARTS + timedelta(days=1)).isoformat(),
        "ends_at": (STARTS + timedelta(days=1, hours=3)).isoformat(),
    }
    moved = await events.client.patch(
        f"/events/{created['id']}", json=later, headers=events.admin.headers
    )
    assert moved.status_code == 200, moved.text
    user = await events.user()
    booked = await events.book(user, created["id"])
    assert booked.status_code == 201
    assert booked.json()["starts_at"].startswith((STARTS + timedelta(days=1)).date().isoformat())
    again = {
        "starts_at": (STARTS + timedelta(days=2)).isoformat(),
        "ends_at": (STARTS + timedelta(days=2, hours=3)).isoformat(),
    }
    refused = await events.client.patch(
        f"/events/{created['id']}", json=again, headers=events.admin.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "event_has_bookings")
    assert (await events.get(created["id"]))["starts_at"] == moved.json()["starts_at"]
    inverted = await events.client.patch(
        f"/events/{created['id']}",
        json={"ends_at": (STARTS - timedelta(days=1)).isoformat()},
        headers=events.admin.headers,
    )
    assert (inverted.status_code, inverted.json()["code"]) == (422, "invalid_range")


@pytest.mark.parametrize("q", ["\x00", "a\x00b", "x" * 201])
async def test_unstorable_search_text_is_422(events: EventsApp, q: str) -> None:
    answer = await events.client.get("/events", params={"q": q})
    assert answer.status_code == 422, answer.text


async def test_blank_search_means_no_filter(events: EventsApp) -> None:
    await events.create()
    answer = await events.client.get("/events", params={"q": "  "})
    assert (answer.status_code, answer.json()["total"]) == (200, 1)
