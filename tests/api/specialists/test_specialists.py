"""Specialists (R-34): created by an admin with their calendar, managing only their own."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.specialists.conftest import Studio

pytestmark = pytest.mark.api


def _problem(answer: object, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    assert answer.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert answer.json()["code"] == code  # type: ignore[attr-defined]


async def test_an_admin_makes_a_user_a_specialist_with_a_calendar(studio: Studio) -> None:
    made = studio.specialist
    assert {"id", "user_id", "display_name", "timezone", "slot_minutes", "resource_id",
            "created_at"} <= set(made)  # fmt: skip
    assert made["user_id"] == studio.pro.user.id and made["slot_minutes"] == 30
    assert made["timezone"] == "UTC" and made["opening_hours"][0]["opens"] == "08:00"
    session = studio.app.session
    role = await session.scalar(
        text("SELECT role FROM user_account WHERE id = :id"), {"id": studio.pro.user.id}
    )
    assert role == "specialist"
    calendar = (
        await session.execute(
            text("SELECT booking_mode, capacity FROM resource WHERE id = :id"),
            {"id": made["resource_id"]},
        )
    ).one()
    assert tuple(calendar) == ("exclusive", 1)
    slots = await session.scalar(
        text("SELECT count(*) FROM time_slot WHERE resource_id = :id"),
        {"id": made["resource_id"]},
    )
    assert slots and slots > 0
    actions = set((await session.execute(text("SELECT action FROM audit_log"))).scalars().all())
    assert {"specialist.created", "resource.created", "user.role_changed",
            "specialist_service.created"} <= actions  # fmt: skip
    me = await studio.client.get("/specialists/me", headers=studio.pro.headers)
    assert me.status_code == 200 and me.json()["id"] == made["id"]
    listed = await studio.client.get("/specialists", params={"q": "lima"})
    assert [s["id"] for s in listed.json()["items"]] == [made["id"]]
    one = await studio.client.get(f"/specialists/{made['id']}")
    assert one.status_code == 200 and one.json()["display_name"] == "Dr. Ana Lima"


async def test_creating_refuses_cleanly_and_leaves_nothing_behind(studio: Studio) -> None:
    session = studio.app.session
    resources_before = await session.scalar(text("SELECT count(*) FROM resource"))
    other = await studio.app.caller()
    _problem(await studio.make_specialist(studio.pro), 409, "already_specialist")
    _problem(
        await studio.client.post(
            "/specialists",
            json={"user_id": 999_999, "display_name": "Nobody"},
            headers=studio.admin.headers,
        ),
        404,
        "user_not_found",
    )
    _problem(await studio.make_specialist(other, timezone="Mars/Olympus"), 422, "validation_error")
    _problem(await studio.make_specialist(other, slot_minutes=7), 422, "validation_error")
    _problem(
        await studio.client.post(
            "/specialists",
            json={"user_id": other.user.id, "display_name": "X"},
            headers=other.headers,
        ),
        403,
        "forbidden",
    )
    assert await session.scalar(text("SELECT count(*) FROM resource")) == resources_before
    assert await session.scalar(text("SELECT count(*) FROM specialist")) == 1


async def test_services_belong_to_their_specialist(studio: Studio) -> None:
    admin, pro = studio.admin, studio.pro
    rival = await studio.app.caller()
    made = await studio.make_specialist(rival)
    assert made.status_code == 201
    rival_id = made.json()["id"]
    _problem(await studio.add_service(pro, duration_minutes=45), 422, "duration_not_on_grid")
    _problem(await studio.add_service(pro, specialist_id=rival_id), 404, "specialist_not_found")
    _problem(await studio.add_service(admin), 422, "specialist_id_required")
    plain = await studio.app.caller()
    _problem(await studio.add_service(plain), 403, "forbidden")
    by_admin = await studio.add_service(admin, specialist_id=rival_id, name="Check-up")
    assert by_admin.status_code == 201 and by_admin.json()["specialist_id"] == rival_id
    rivals_service = by_admin.json()["id"]
    # Another specialist's service is not there for this one.
    _problem(
        await studio.client.patch(
            f"/specialists/me/services/{rivals_service}",
            json={"price_cents": 1},
            headers=pro.headers,
        ),
        404,
        "service_not_found",
    )
    own = studio.service["id"]
    patched = await studio.client.patch(
        f"/specialists/me/services/{own}", json={"price_cents": 5000}, headers=pro.headers
    )
    assert patched.status_code == 200 and patched.json()["price_cents"] == 5000
    assert patched.json()["duration_minutes"] == 90
    _problem(
        await studio.client.patch(
            f"/specialists/me/services/{own}", json={"name": None}, headers=pro.headers
        ),
        422,
        "validation_error",
    )
    retired = await studio.client.patch(
        f"/specialists/me/services/{own}", json={"is_active": False}, headers=pro.headers
    )
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    public = await studio.client.get(f"/specialists/{studio.specialist['id']}/services")
    assert public.json()["items"] == []
    mine = await studio.client.get("/specialists/me/services", headers=pro.headers)
    assert [s["id"] for s in mine.json()["items"]] == [own]
    updates = await studio.app.session.scalar(
        text("SELECT count(*) FROM audit_log WHERE action = 'specialist_service.updated'")
    )
    assert updates == 2


async def test_hours_and_blocks_change_only_the_own_calendar(studio: Studio) -> None:
    pro = studio.pro
    hours = [{"weekday": d, "opens": "10:00", "closes": "12:00"} for d in range(5)]
    changed = await studio.client.put(
        "/specialists/me/hours", json={"opening_hours": hours}, headers=pro.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["opening_hours"][0]["opens"] == "10:00"
    day = await studio.slots()
    assert [s["starts_at"][11:16] for s in day["slots"]] == ["10:00", "10:30", "11:00", "11:30"]
    blocked = await studio.client.post(
        "/specialists/me/slots/block",
        json={"starts_at": "2030-01-07T10:30:00+00:00", "ends_at": "2030-01-07T11:00:00+00:00"},
        headers=pro.headers,
    )
    assert blocked.status_code == 200 and blocked.json() == {"changed": 1}
    day = await studio.slots()
    assert [s["starts_at"][11:16] for s in day["slots"]] == ["10:00", "11:00", "11:30"]
    unblocked = await studio.client.post(
        "/specialists/me/slots/unblock",
        json={"starts_at": "2030-01-07T10:30:00+00:00", "ends_at": "2030-01-07T11:00:00+00:00"},
        headers=pro.headers,
    )
    assert unblocked.json() == {"changed": 1}
    _problem(
        await studio.client.put(
            "/specialists/me/hours",
            json={"opening_hours": [{"weekday": 0, "opens": "12:00", "closes": "10:00"}]},
            headers=pro.headers,
        ),
        422,
        "validation_error",
    )
    plain = await studio.app.caller()
    _problem(
        await studio.client.put(
            "/specialists/me/hours", json={"opening_hours": hours}, headers=plain.headers
        ),
        403,
        "forbidden",
    )
    # A specialist naming another specialist's calendar is told it does not exist.
    rival = await studio.app.caller()
    rival_id = (await studio.make_specialist(rival)).json()["id"]
    _problem(
        await studio.client.post(
            "/specialists/me/slots/block",
            params={"specialist_id": rival_id},
            json={"starts_at": "2030-01-07T10:00:00+00:00", "ends_at": "2030-01-07T11:00:00+00:00"},
            headers=pro.headers,
        ),
        404,
        "specialist_not_found",
    )
    actions = (
        (await studio.app.session.execute(text("SELECT action FROM audit_log"))).scalars().all()
    )
    assert {"resource.updated", "slots.blocked", "slots.unblocked"} <= set(actions)


async def test_unknown_and_deactivated_specialists_are_404(studio: Studio) -> None:
    assert (await studio.client.get("/specialists/987654")).json()["code"] == (
        "specialist_not_found"
    )
    gone = await studio.client.delete(
        f"/resources/{studio.specialist['resource_id']}", headers=studio.admin.headers
    )
    assert gone.status_code == 204
    _problem(
        await studio.client.get(f"/specialists/{studio.specialist['id']}"),
        404,
        "specialist_not_found",
    )
    assert (await studio.client.get("/specialists")).json()["total"] == 0
    for_admin = await studio.client.get(
        "/specialists", params={"include_inactive": "true"}, headers=studio.admin.headers
    )
    assert for_admin.json()["items"][0]["is_active"] is False
