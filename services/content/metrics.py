"""The content service's own Prometheus metrics (the shared ones cover HTTP and the bus)."""

from prometheus_client import Counter, Gauge, Histogram

VIEWS_PER_MESSAGE = Histogram(
    "content_views_per_message",
    "Page views carried by one page.viewed message",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
)
SCHEDULED_PUBLISHED = Counter(
    "content_scheduled_published_total", "Scheduled articles this replica published"
)
LIVE_ARTICLES = Gauge("content_live_articles", "Live articles in this replica's read cache")
VIEWS_SPOOLED = Counter(
    "content_views_spooled_total",
    "page.viewed messages stored while the broker was away (sent again once it is back)",
)
