"""No password or token reaches the logs or the audit trail (scans what the test captured)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.auth.conftest import PASSWORD, AuthApp
from tests.support.smtp import reset_token_from

pytestmark = pytest.mark.api

NEW_PASSWORD = "a different long passphrase"


async def test_a_full_session_leaves_no_secret_behind(
    auth_app: AuthApp,
    session: AsyncSession,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await auth_app.register("ada@example.com")
    pair = await auth_app.login("ada@example.com")
    await auth_app.client.post(
        "/auth/login", json={"email": "ada@example.com", "password": "wrong-" + PASSWORD}
    )
    rotated = (
        await auth_app.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    ).json()
    await auth_app.client.post(
        "/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )  # reuse
    await auth_app.client.get("/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    await auth_app.client.post("/auth/forgot", json={"email": "ada@example.com"})
    _, reset_token = reset_token_from((await auth_app.inbox.wait_for(1))[0])
    await auth_app.client.post(
        "/auth/reset", json={"token": reset_token, "new_password": NEW_PASSWORD}
    )
    await auth_app.inbox.wait_for(2)

    secrets = [
        PASSWORD,
        "wrong-" + PASSWORD,
        NEW_PASSWORD,
        pair["access_token"],
        pair["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
        reset_token,
        auth_app.verification_tokens["ada@example.com"],
    ]
    captured = capsys.readouterr()
    logs = captured.out + captured.err + caplog.text
    audit = " ".join(
        str(row) for row in (await session.execute(text("SELECT * FROM audit_log"))).all()
    )
    assert "refresh_token_reuse_detected" in logs  # the scan does look at real log output
    for secret in secrets:
        assert secret not in logs
        assert secret not in audit
