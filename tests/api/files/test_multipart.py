"""Bodies that are not a usable multipart form: problem details, nothing stored."""

from __future__ import annotations

import pytest

from tests.api.files.conftest import FilesApp
from tests.factories import files
from tests.factories.auth import Caller

pytestmark = pytest.mark.api


async def _post(files_app: FilesApp, room: int, admin: Caller, body: bytes, ctype: str) -> dict:
    r = await files_app.client.post(
        f"/resources/{room}/file", content=body, headers={"Content-Type": ctype} | admin.headers
    )
    assert r.headers["content-type"] == "application/problem+json"
    assert files_app.stored_files() == []
    return {"status": r.status_code, **r.json()}


async def test_a_body_that_is_not_multipart_is_422(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    problem = await _post(files_app, room, admin, b'{"file": "x"}', "application/json")
    assert (problem["status"], problem["code"]) == (422, "invalid_upload")


async def test_a_form_without_the_file_field_is_422_with_details(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    body, headers = files.multipart(files.png(), field="picture")
    problem = await _post(files_app, room, admin, body, headers["Content-Type"])
    assert (problem["status"], problem["code"]) == (422, "invalid_upload")
    assert problem["details"] == [
        {"field": "body.file", "message": "Field required", "type": "missing"}
    ]


async def test_two_file_parts_are_422(files_app: FilesApp, room: int, admin: Caller) -> None:
    first, headers = files.multipart(files.png(), filename="a.png")
    second, _ = files.multipart(files.jpeg(), filename="b.jpg")
    body = first[: first.rindex(b"--" + files.BOUNDARY.encode() + b"--")] + second
    problem = await _post(files_app, room, admin, body, headers["Content-Type"])
    assert (problem["status"], problem["code"]) == (422, "invalid_upload")


async def test_other_fields_beside_the_file_are_ignored(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    r = await files_app.upload(
        room, files.png(), admin, filename="a.png", extra_parts=[("note", b"hello")]
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (
            b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
            "multipart/form-data; boundary=b",
        ),
        (b"anything", "multipart/form-data"),
        (b"anything", "multipart/form-data; boundary=" + "a" * 300),
        (b"garbage that is no multipart at all", "multipart/form-data; boundary=b"),
    ],
    ids=["no-closing-boundary", "no-boundary", "boundary-too-long", "garbage"],
)
async def test_malformed_multipart_is_400(
    files_app: FilesApp, room: int, admin: Caller, body: bytes, ctype: str
) -> None:
    problem = await _post(files_app, room, admin, body, ctype)
    assert (problem["status"], problem["code"]) == (400, "malformed_multipart")


async def test_pathological_part_headers_are_refused_quickly(
    files_app: FilesApp, room: int, admin: Caller
) -> None:
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(10_000))
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"\r\n' + many + b"\r\nabc\r\n--b--\r\n"
    )
    problem = await _post(files_app, room, admin, body, "multipart/form-data; boundary=b")
    assert problem["status"] in (400, 413)
    long_header = b'--b\r\nContent-Disposition: form-data; name="file"; filename="' + b"a" * 20_000
    body = long_header + b'"\r\n\r\nabc\r\n--b--\r\n'
    problem = await _post(files_app, room, admin, body, "multipart/form-data; boundary=b")
    assert problem["status"] in (400, 413)
