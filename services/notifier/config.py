"""Notifier settings, read from the environment."""

from typing import Literal

from pydantic import Field, HttpUrl, SecretStr

from shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    mongo_db: str = "notifier"
    http_port: int = 8083
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "Cổng thông tin điện tử <tin-moi@portal.example>"
    # Where a subscriber's browser reaches the notifier: links in emails are built on it.
    public_url: HttpUrl = HttpUrl("http://127.0.0.1:8083")
    # Signs confirmation and unsubscribe links; rotating it invalidates links in flight.
    signing_key: SecretStr = Field(min_length=32)
    confirm_ttl_hours: int = Field(default=48, ge=1)
    prefetch: int = Field(default=4, ge=1, le=100)
