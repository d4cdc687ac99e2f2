"""Prometheus metrics shared by the bus and the HTTP helpers (one registry per process)."""

from prometheus_client import Counter, Histogram

EVENTS_PUBLISHED = Counter(
    "portal_events_published_total", "Events confirmed by the broker", ["type"]
)
EVENTS_PUBLISH_FAILED = Counter(
    "portal_events_publish_failed_total", "Publishes the broker did not confirm", ["type"]
)
EVENTS_HANDLED = Counter(
    "portal_events_handled_total", "Events consumed, by outcome", ["queue", "type", "outcome"]
)
EVENTS_DEAD_LETTERED = Counter(
    "portal_events_dead_lettered_total", "Messages parked in a dead-letter queue", ["queue"]
)
HTTP_REQUESTS = Histogram(
    "portal_http_request_seconds", "HTTP request latency", ["method", "route", "status"]
)
QUARANTINED = Counter(
    "portal_quarantined_total", "Items set aside because they fail every time", ["kind"]
)
BUSY_RETRIES = Counter(
    "portal_db_busy_retries_total", "Writes retried because FerretDB's SQLite was locked"
)
