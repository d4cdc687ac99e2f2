"""The counter's own Prometheus metrics (served by /metrics with the shared ones)."""

from prometheus_client import Counter, Gauge, Histogram

INGEST_BATCH = Histogram(
    "portal_counter_ingest_batch_messages",
    "Messages stored by one inbox insert",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
FOLD_SECONDS = Histogram(
    "portal_counter_fold_seconds",
    "Time to fold one batch, claim to applied",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
FOLDED_MESSAGES = Counter(
    "portal_counter_folded_messages_total", "Messages folded, by outcome", ["outcome"]
)
FOLDED_VIEWS = Counter("portal_counter_folded_views_total", "Views counted by folds")
FOLDED_VIEWS_DUPLICATE = Counter(
    "portal_counter_folded_views_duplicate_total",
    "Views not counted because their view id was counted already (a beacon sent twice)",
)
FOLD_HOLDER = Gauge("portal_counter_fold_holder", "1 while this replica holds the fold lease")
STREAMS_OPEN = Gauge(
    "portal_counter_streams_open", "Live widget streams (GET /api/stats/stream) open here"
)
