"""Prometheus metrics, one registry per app so that test apps never collide."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Label values come from closed sets: a caller who invents methods or paths adds no series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"


def method_label(method: str) -> str:
    """The request method as a label: one of `METHODS`, else `other`."""
    return method if method in METHODS else OTHER_METHOD


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "jiebang_http_requests_total",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "jiebang_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request; `route` must already be a template (or `<unmatched>`)."""
        label = method_label(method)
        self.requests.labels(label, route, str(status)).inc()
        self.latency.labels(label, route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
