"""Counter settings, read from the environment."""

from pydantic import Field

from shared.platform.settings import Secret, ServiceSettings


class CounterSettings(ServiceSettings):
    mongo_db: str = "counter"
    http_port: int = 8082
    online_window_seconds: int = Field(default=300, ge=10)
    visit_timeout_seconds: int = Field(default=1800, ge=60)
    # Used until an operator imports a baseline (PUT /api/stats/baseline or the CLI).
    baseline_visits: int = Field(default=0, ge=0)
    # Readers refresh the shared figures in the background; a request never sees older ones.
    stats_max_age_seconds: float = Field(default=1.0, ge=0, le=60)
    refresh_interval_seconds: float = Field(default=0.1, gt=0, le=5)
    prefetch: int = Field(default=256, ge=1, le=10_000)
    # Write-behind: a batch of messages is stored together, at most this long after the first.
    flush_linger_seconds: float = Field(default=0.02, ge=0, le=1)
    flush_max_events: int = Field(default=500, ge=1, le=5000)
    # The folder sleeps this long when there is nothing to fold.
    fold_idle_seconds: float = Field(default=0.05, gt=0, le=5)
    # Under load, folds start at most this often: each fold costs a dozen database round
    # trips whatever its size, so fewer, larger folds cost less per view. A fold after a
    # quiet moment starts at once.
    fold_interval_seconds: float = Field(default=0.25, ge=0, le=5)
    # A fold reads its views in one reply: 50,000 views of at most ~600 bytes stay under the
    # 48 MB a reply may be.
    fold_max_views: int = Field(default=20_000, ge=100, le=50_000)
    # One replica folds at a time, holding a lease of this many seconds, renewed ahead.
    lease_seconds: float = Field(default=2.0, ge=0.5, le=60)
    # How often a replica stores the past months' roll-ups the 12-month dashboard reads.
    dashboard_rollup_seconds: float = Field(default=300.0, ge=0.5, le=86_400)
    admin_token: Secret | None = Field(default=None, min_length=16)
