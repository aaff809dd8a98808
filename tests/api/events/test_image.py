"""POST /events/{id}/image (R-36 through R-27): the event's image is stored by the files
domain, shown as `image_url` and served publicly."""

from __future__ import annotations

import pytest

from tests.api.events.conftest import EventsApp
from tests.factories.files import png

pytestmark = pytest.mark.api


async def test_admin_uploads_the_image_and_everyone_sees_it(events: EventsApp) -> None:
    event = await events.create()
    answer = await events.client.post(
        f"/events/{event['id']}/image",
        files={"file": ("poster.png", png(), "image/png")},
        headers=events.admin.headers,
    )
    assert answer.status_code == 201, answer.text
    uploaded = answer.json()
    assert uploaded["mime"] == "image/png"
    shown = await events.get(event["id"])
    assert shown["image_url"] == uploaded["url"] == answer.headers["location"]
    listed = (await events.client.get("/events")).json()["items"]
    assert listed[0]["image_url"] == uploaded["url"]
    served = await events.client.get(uploaded["url"])  # anonymous
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png" and served.content == png()
    audited = "SELECT count(*) FROM audit_log WHERE action = 'file.uploaded'"
    assert await events.scalar(audited) == 1


async def test_only_admins_upload_and_only_real_images(events: EventsApp) -> None:
    event = await events.create()
    user = await events.user()
    url = f"/events/{event['id']}/image"
    forbidden = await events.client.post(
        url, files={"file": ("p.png", png(), "image/png")}, headers=user.headers
    )
    assert forbidden.status_code == 403
    fake = await events.client.post(
        url,
        files={"file": ("p.png", b"<html>hi</html>", "image/png")},
        headers=events.admin.headers,
    )
    assert (fake.status_code, fake.json()["code"]) == (415, "unsupported_file_type")
    missing = await events.client.post(
        "/events/999/image",
        files={"file": ("p.png", png(), "image/png")},
        headers=events.admin.headers,
    )
    assert missing.status_code == 404
    assert (await events.get(event["id"]))["image_url"] is None
