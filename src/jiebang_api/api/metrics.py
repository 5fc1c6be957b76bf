"""Prometheus metrics, one registry per app so that test apps never collide."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
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
        # The plan system sync's projects by state, read from the database at each scrape
        # (the worker pushes; this process shows how it went): `failed` ones need a look.
        self.plan_sync = Gauge(
            "jiebang_plan_sync_projects",
            "Projects by the state of their push to the plan management system.",
            ["status"],
            registry=self.registry,
        )
        # The labelled children, looked up once: `labels()` checks and joins its arguments
        # under a lock on every call. Bounded as the label values are.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request; `route` must already be a template (or `<unmatched>`)."""
        key = (method_label(method), route, status)
        series = self._series.get(key)
        if series is None:
            series = (
                self.requests.labels(key[0], route, str(status)),
                self.latency.labels(key[0], route),
            )
            self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)

    def set_plan_sync(self, counts: dict[str, int]) -> None:
        """The plan system sync's projects per state (a closed set of states)."""
        for status, count in counts.items():
            self.plan_sync.labels(status).set(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
