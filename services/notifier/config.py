"""Notifier settings, read from the environment."""

from typing import Literal

from pydantic import Field, HttpUrl, SecretStr, model_validator

from shared.platform.settings import Secret, ServiceSettings


class NotifierSettings(ServiceSettings):
    mongo_db: str = "notifier"
    http_port: int = 8083
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    mail_from: str = "Cổng thông tin điện tử <tin-moi@portal.example>"
    # Where a subscriber's browser reaches the notifier: links in emails are built on it.
    public_url: HttpUrl = HttpUrl("http://127.0.0.1:8083")
    # Seals confirmation, unsubscribe and preferences links; rotating it invalidates them.
    signing_key: Secret = Field(min_length=32)
    confirm_ttl_hours: int = Field(default=48, ge=1)
    # Bearer token of the admin API; without it the admin API refuses every request.
    admin_token: Secret | None = Field(default=None, min_length=16)
    prefetch: int = Field(default=4, ge=1, le=100)

    # Sending, per replica: messages per second (0 = unlimited) and SMTP connections.
    send_rate: float = Field(default=0.0, ge=0)
    send_concurrency: int = Field(default=8, ge=1, le=64)
    # Subscribers per delivery job on the work queue that the replicas share.
    chunk_size: int = Field(default=100, ge=1, le=1000)
    # A delivery gets this many SMTP attempts, with exponential backoff between them.
    max_attempts: int = Field(default=10, ge=1, le=50)
    retry_base_seconds: float = Field(default=0.5, gt=0)
    retry_max_seconds: float = Field(default=60.0, gt=0)
    # After this many transient failures in a row, the replica stops sending for a while.
    pause_after_failures: int = Field(default=10, ge=1)
    pause_seconds: float = Field(default=30.0, gt=0)
    # A claimed attempt (of a delivery, or of processing a sign-up) with no recorded outcome
    # after this long belongs to a dead replica. Must exceed the longest send (SMTP timeout).
    claim_lease_seconds: float = Field(default=120.0, gt=0)
    # Outcomes of sends finishing within this many ms are stored in one insert. Longer
    # means fewer database round trips, and more sends whose record a crash could lose.
    # 0: 5 ms narrowed the window's p99 under CPU saturation but widened its median by the
    # linger with a 20 ms relay, and the window may not widen (docs/notifier.md, Benchmark).
    record_linger_ms: float = Field(default=0.0, ge=0, le=1000)

    # Abuse limit on sign-up, per replica: one network flooding the form gets 429. There is
    # no such limit per address: others could use it to lock the address's owner out.
    signups_per_ip_per_hour: int = Field(default=20, ge=1)
    # What stops mail-bombing an address instead, across replicas and silently (the same
    # 202): confirmation emails at most this often (0 = no spacing) and this many a day.
    confirmation_interval_minutes: int = Field(default=10, ge=0)
    confirmations_per_address_per_day: int = Field(default=5, ge=1, le=50)
    # How often each replica looks for sign-ups that no replica finished (one that died
    # after answering), besides once at start.
    signup_sweep_seconds: float = Field(default=60.0, gt=0)
    # Behind the gateway, the client is the last X-Forwarded-For hop (the gateway's own).
    trust_forwarded_for: bool = False

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> "NotifierSettings":
        # A lease shorter than a send would let a second replica resend a slow first attempt.
        if self.claim_lease_seconds <= self.smtp_timeout_seconds:
            raise ValueError("CLAIM_LEASE_SECONDS must exceed SMTP_TIMEOUT_SECONDS")
        return self
