"""Rate-limit keys of client addresses: IPv4 by address, IPv6 by /64."""

from __future__ import annotations

import pytest

from roomtime.core.addresses import rate_limit_key

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.1", "192.0.2.1"),
        (" 192.0.2.1 ", "192.0.2.1"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("fe80::1%eth0", "fe80::/64"),
        ("unknown", "unknown"),
    ],
)
def test_key(address: str, key: str) -> None:
    assert rate_limit_key(address) == key


def test_two_addresses_in_one_slash_64_share_a_key_and_neighbours_do_not() -> None:
    assert rate_limit_key("2001:db8:a:b::1") == rate_limit_key("2001:db8:a:b:1234::99")
    assert rate_limit_key("2001:db8:a:b::1") != rate_limit_key("2001:db8:a:c::1")
    assert rate_limit_key("192.0.2.1") != rate_limit_key("192.0.2.2")
