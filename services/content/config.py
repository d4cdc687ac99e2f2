"""Content settings, read from the environment."""

from ipaddress import IPv4Network, IPv6Network

from pydantic import Field, HttpUrl, SecretStr

from shared.settings import ServiceSettings


class ContentSettings(ServiceSettings):
    mongo_db: str = "content"
    http_port: int = 8081
    # Until editor accounts exist (the content issue), one shared token guards the write API.
    editor_token: SecretStr = Field(min_length=16)
    # Where readers reach the portal; article URLs in events are built on it.
    public_url: HttpUrl = HttpUrl("http://127.0.0.1:8081")
    # Where the browser reaches the counter's /stats, for the visitor widget.
    counter_public_url: HttpUrl = HttpUrl("http://127.0.0.1:8082")
    site_id: str = "portal"
    # Only these peers may set X-Forwarded-For; anyone else's header is ignored.
    trusted_proxies: list[IPv4Network | IPv6Network] = Field(default_factory=list)
    outbox_poll_seconds: float = Field(default=2.0, gt=0)
