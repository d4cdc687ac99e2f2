"""Content settings, read from the environment."""

from ipaddress import IPv4Network, IPv6Network

from pydantic import (
    Field,
    HttpUrl,
)

from shared.platform.settings import Secret, ServiceSettings


class ContentSettings(ServiceSettings):
    mongo_db: str = "content"
    http_port: int = 8081
    # The bootstrap admin token (never stored). Editors get their own tokens from
    # `python -m services.content tokens create`; only their hashes are stored.
    editor_token: Secret = Field(min_length=16)
    # The notifier, asked for an article's delivery counts on an editor's behalf with the
    # notifier's ADMIN_TOKEN. Both unset: the editor page shows no delivery counts.
    notifier_url: HttpUrl | None = None
    admin_token: Secret | None = Field(default=None, min_length=16)
    # Where readers reach the portal; article URLs in events are built on it.
    public_url: HttpUrl = HttpUrl("http://127.0.0.1:8081")
    site_id: str = "portal"
    # Only these peers may set X-Forwarded-For; anyone else's header is ignored.
    trusted_proxies: list[IPv4Network | IPv6Network] = Field(default_factory=list)
    # How often the relay scans every article for events a dead replica left unsent. A
    # write's own events leave at once; the scan reads every document, so keep it rare.
    outbox_poll_seconds: float = Field(default=30.0, gt=0)
    # How often replicas look for due scheduled articles (publication within this + ~1 s).
    schedule_poll_seconds: float = Field(default=1.0, gt=0, le=4)
    # After this long, a claimed but unpublished schedule may be claimed again.
    schedule_lease_seconds: float = Field(default=30.0, gt=0)
    # The read cache is rebuilt this often in case an event was missed.
    cache_reload_seconds: float = Field(default=60.0, gt=0)
    # Cache-Control max-age of public API reads (0: clients revalidate with the ETag).
    public_max_age: int = Field(default=0, ge=0, le=86400)
    # Per client address and replica: beacons a minute after a first burst (429 past it),
    # and distinct user agents an hour that count as distinct visitors (docs/content.md).
    beacons_per_minute: int = Field(default=600, ge=1)
    beacon_burst: int = Field(default=600, ge=1)
    visitors_per_address_per_hour: int = Field(default=200, ge=1)
    # How often each replica looks for page views spooled while the broker was away.
    spool_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # How long a beacon waits for others to share its broker message. Fewer, larger
    # messages cost the broker, the counter and the database less: measured with the whole
    # pipeline on 2 CPUs, 5 ms took 15 % less CPU per beacon and 3-7 % more beacons/s than
    # 0. A beacon is sent by a page that does not wait for it: 5 ms more is unseen.
    view_batch_window_ms: float = Field(default=5.0, ge=0, le=100)
    # How often each replica reads the site's identity (a change shows within this).
    site_poll_seconds: float = Field(default=2.0, gt=0, le=60)

    @property
    def public_base(self) -> str:
        """PUBLIC_URL without its trailing slash: paths are appended to it."""
        return str(self.public_url).rstrip("/")
