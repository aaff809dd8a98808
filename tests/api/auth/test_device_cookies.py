"""Device cookies against targeted lockout (OWASP "Slow Down Online Guessing Attacks with
Device Cookies"): an attacker who slows an account down does not keep its owner out."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
import pytest

from roomtime.domains.auth import devices
from tests.api.auth.conftest import PASSWORD, AuthApp

pytestmark = pytest.mark.api

PROXY = "10.0.0.5"
WRONG = "not the right password"
EMAIL = "ada@example.com"


def _device_cookie(response: httpx.Response) -> SimpleCookie:
    [header] = [
        h
        for h in response.headers.get_list("set-cookie")
        if h.startswith(f"{devices.COOKIE_NAME}=")
    ]
    return SimpleCookie(header)


async def _login(
    client: httpx.AsyncClient,
    *,
    password: str = PASSWORD,
    email: str = EMAIL,
    address: str | None = None,
    device: str | None = None,
) -> httpx.Response:
    headers = {}
    if address is not None:
        headers["X-Forwarded-For"] = address
    if device is not None:
        # Sent by hand: the test client speaks plain HTTP and the cookie is Secure.
        headers["Cookie"] = f"{devices.COOKIE_NAME}={device}"
    return await client.post(
        "/auth/login", json={"email": email, "password": password}, headers=headers
    )


async def _device_of(auth_app: AuthApp, email: str = EMAIL) -> str:
    """The device cookie of a login from the owner's home address."""
    async with auth_app.client_from("192.0.2.200") as home:
        response = await _login(home, email=email)
    assert response.status_code == 200, response.text
    return _device_cookie(response)[devices.COOKIE_NAME].value


async def test_login_sets_a_signed_device_cookie_and_keeps_its_body(auth_app: AuthApp) -> None:
    await auth_app.register(EMAIL)
    response = await _login(auth_app.client)
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    morsel = _device_cookie(response)[devices.COOKIE_NAME]
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "strict"
    assert morsel["path"] == "/auth"
    assert morsel["secure"] is True  # PUBLIC_BASE_URL is https
    assert int(morsel["max-age"]) >= 180 * 86400
    second = await _login(auth_app.client)
    assert _device_cookie(second)[devices.COOKIE_NAME].value != morsel.value  # a fresh nonce
    as_bearer = await auth_app.client.get(
        "/me", headers={"Authorization": f"Bearer {morsel.value}"}
    )
    assert as_bearer.status_code == 401  # a device cookie is no access token


async def test_the_cookie_is_not_secure_on_plain_http_outside_production(
    app_client: httpx.AsyncClient,
) -> None:
    r = await app_client.post("/auth/register", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 201
    response = await _login(app_client)
    assert response.status_code == 200
    assert _device_cookie(response)[devices.COOKIE_NAME]["secure"] == ""


async def _lock_out(auth_app: AuthApp, device: str) -> None:
    """10 failures with the device cookie, from two addresses (5 a minute each)."""
    for address in ("192.0.2.1", "192.0.2.2"):
        async with auth_app.client_from(address) as client:
            for _ in range(5):
                r = await _login(client, password=WRONG, device=device)
                assert r.status_code == 401


async def test_a_device_that_keeps_failing_is_locked_out_not_the_account(
    auth_app: AuthApp,
) -> None:
    await auth_app.register(EMAIL)
    device = await _device_of(auth_app)
    await _lock_out(auth_app, device)
    locked = await _login(auth_app.client, device=device)  # even with the right password
    assert locked.status_code == 429
    assert locked.json()["code"] == "rate_limited"
    assert int(locked.headers["retry-after"]) >= 1
    # The account is not locked: without that cookie the owner gets in at once, and the
    # new device cookie works.
    fresh = await _login(auth_app.client)
    assert fresh.status_code == 200
    new_device = _device_cookie(fresh)[devices.COOKIE_NAME].value
    assert (await _login(auth_app.client, device=new_device)).status_code == 200


async def test_only_a_valid_cookie_of_that_account_is_a_device(auth_app: AuthApp) -> None:
    """A locked-out device answers 429; anything that is not that device counts as no
    cookie at all (never a refusal), so those logins succeed."""
    await auth_app.register(EMAIL)
    await auth_app.register("bob@example.com")
    device = await _device_of(auth_app)
    access_token = (await _login(auth_app.client)).json()["access_token"]
    await _lock_out(auth_app, device)
    assert (await _login(auth_app.client, device=device)).status_code == 429
    head, payload, signature = device.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    not_ada_devices = [
        ("bob@example.com", device),  # Ada's cookie, presented for Bob
        (EMAIL, f"{head}.{payload}.{flipped}{signature[1:]}"),  # tampered signature
        (EMAIL, access_token),  # an access token is not a device cookie
        (EMAIL, "garbage"),
    ]
    for email, value in not_ada_devices:
        assert (await _login(auth_app.client, email=email, device=value)).status_code == 200
    auth_app.clock.advance(days=366)  # past the cookie's lifetime
    async with auth_app.client_from("192.0.2.3") as client:
        assert (await _login(client, device=device)).status_code == 200


@pytest.mark.slow
async def test_the_attacker_stays_slowed_while_the_owner_gets_in_at_the_first_try(
    auth_app: AuthApp,
) -> None:
    auth_app.settings.app.trusted_proxies = PROXY
    await auth_app.register(EMAIL)
    device = await _device_of(auth_app)
    async with auth_app.client_from(PROXY) as proxy:
        # 100 failures from 20 addresses, 5 each: the account is now slowed down.
        for i in range(100):
            r = await _login(proxy, password=WRONG, address=f"198.18.{i // 5}.1")
            assert r.status_code == 401
        attacker = "198.18.200.1"
        guesses = [(await _login(proxy, password=WRONG, address=attacker)).status_code]
        guesses.append((await _login(proxy, password=WRONG, address=attacker)).status_code)
        guesses.append((await _login(proxy, address=attacker)).status_code)
        assert guesses == [401, 401, 429]  # 2 a minute for the attacker's address

        owner_elsewhere = await _login(proxy, address="192.0.2.10")
        owner_with_device = await _login(proxy, address=attacker, device=device)
        attacker_again = await _login(proxy, password=WRONG, address=attacker)
    assert owner_elsewhere.status_code == 200
    assert owner_with_device.status_code == 200
    assert attacker_again.status_code == 429
