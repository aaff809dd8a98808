"""Prometheus metrics, labelled by route template so ids in paths don't explode cardinality,
and who may read them."""

from __future__ import annotations

import hmac
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address

from prometheus_client import CollectorRegistry, Counter, Histogram


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "roomtime_http_requests_total",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "roomtime_http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        # The labelled children, by (method, route, status): `labels()` validates and locks
        # on every call, and the set is bounded (route templates, not paths).
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        children = self._children.get((method, route, status))
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._children[(method, route, status)] = children
        counter, histogram = children
        counter.inc()
        histogram.observe(seconds)


class MetricsAccess:
    """Who may scrape /metrics: METRICS_ALLOW (client addresses or networks) and/or a bearer
    token (METRICS_TOKEN). Neither configured: anyone; otherwise either one that matches."""

    def __init__(self, networks: list[IPv4Network | IPv6Network], token: str | None) -> None:
        self.networks = networks
        self.token = token.encode() if token else None

    @property
    def restricted(self) -> bool:
        return bool(self.networks) or self.token is not None

    def permits(self, client_ip: str, authorization: str | None) -> bool:
        if not self.restricted:
            return True
        return self._address_allowed(client_ip) or self._token_matches(authorization)

    def _address_allowed(self, client_ip: str) -> bool:
        try:
            address = ip_address(client_ip)
        except ValueError:
            return False  # no usable peer address (e.g. a Unix socket): only the token counts
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # a dual-stack listener reports IPv4 peers this way
        return any(address in network for network in self.networks)

    def _token_matches(self, authorization: str | None) -> bool:
        if self.token is None or not authorization:
            return False
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return False
        # Bytes, so a non-ASCII header is a mismatch rather than a TypeError; constant time
        # so the comparison leaks nothing about the token.
        return hmac.compare_digest(credentials.strip().encode("utf-8", "replace"), self.token)
