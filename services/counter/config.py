"""Counter settings, read from the environment."""

from pydantic import Field

from shared.settings import ServiceSettings


class CounterSettings(ServiceSettings):
    mongo_db: str = "counter"
    http_port: int = 8082
    online_window_seconds: int = Field(default=300, ge=10)
    visit_timeout_seconds: int = Field(default=1800, ge=60)
    # Visits counted by the portal this one replaces; "Tổng" starts from here.
    baseline_visits: int = Field(default=0, ge=0)
    # /stats is recomputed at most this often, however many readers ask.
    stats_max_age_seconds: float = Field(default=1.0, ge=0, le=60)
    prefetch: int = Field(default=64, ge=1, le=10_000)
