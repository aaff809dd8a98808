"""Client addresses as rate-limit keys.

One IPv6 subscriber usually gets a whole /64 (RFC 6177) and can pick any address in it, so
keying a limit by the full IPv6 address would give every client 2^64 buckets. Limits key an
IPv6 client by its /64 network and an IPv4 client by its address. Audit rows and logs keep
the full address; only the limiter's key is coarser.
"""

from __future__ import annotations

import ipaddress

IPV6_LIMIT_PREFIX = 64


def rate_limit_key(address: str) -> str:
    """The bucket a client address counts in: `192.0.2.1`, or `2001:db8:1:2::/64`."""
    text = address.strip()
    try:
        # A zone id (`fe80::1%eth0`) names the local link, not a different client.
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return text  # not an IP (e.g. a test transport's peer name): the value is the key
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)  # `::ffff:192.0.2.1` is the IPv4 client 192.0.2.1
        return str(ipaddress.IPv6Network((ip, IPV6_LIMIT_PREFIX), strict=False))
    return str(ip)
