"""Sending over SMTP: a small pool of reused connections, a rate limit, and a breaker that
pauses the replica after too many transient failures in a row."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

import aiosmtplib
import structlog

from services.notifier.config import NotifierSettings
from services.notifier.metrics import (
    EMAILS,
    SMTP_CONNECTIONS,
    SMTP_CONSECUTIVE_FAILURES,
    SMTP_PAUSED,
    SMTP_PAUSES,
)

log = structlog.get_logger(__name__)

MAX_PAUSE_FACTOR = 8


class Transient(Exception):
    """Worth trying again later: a 4xx, a timeout, a lost or refused connection."""


class Permanent(Exception):
    """The server refused this address or message for good (5xx on RCPT or DATA)."""


class Draining(Exception):
    """The replica is shutting down: no new send starts."""


class TokenBucket:
    """`rate` messages a second on average, bursts of up to one second's worth; 0 = no limit."""

    def __init__(self, rate: float) -> None:
        self._rate = rate
        self._capacity = max(1.0, rate)
        self._tokens = self._capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        if self._rate <= 0:
            return
        async with self._lock:  # waiters queue up in order
            while True:
                now = time.monotonic()
                self._tokens = min(
                    self._capacity, self._tokens + (now - self._updated) * self._rate
                )
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)


class Sender:
    def __init__(self, settings: NotifierSettings) -> None:
        self._settings = settings
        self.envelope_from = parseaddr(settings.mail_from)[1]
        self._bucket = TokenBucket(settings.send_rate)
        self._idle: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        for _ in range(settings.send_concurrency):
            self._idle.put_nowait(None)
        self._failures = 0
        self._pause_factor = 1
        self.paused_until: datetime | None = None
        self._draining = False

    def drain(self) -> None:
        """Let the sends in flight finish and start no new one (article sends; a
        confirmation already asked for still goes out)."""
        self._draining = True

    @asynccontextmanager
    async def slot(self, during_drain: bool = False) -> AsyncIterator[aiosmtplib.SMTP]:
        """A connected SMTP connection for one send, after the pause and the rate limit.

        Raises Transient when no connection can be made (and counts it as a failure), and
        Draining once the replica shuts down."""
        await self._wait_while_paused()
        await self._bucket.take()
        connection = await self._idle.get()
        if self._draining and not during_drain:
            self._idle.put_nowait(connection)
            raise Draining
        try:
            if connection is None or not connection.is_connected:
                connection = await self._connect()
            yield connection
        except (Permanent, Transient):
            raise  # `send` already dropped a broken connection; after a 4xx/5xx it is fine
        except BaseException:
            # A connection in an unknown state is not reused.
            if connection is not None:
                connection.close()
            connection = None
            raise
        finally:
            self._idle.put_nowait(connection)

    async def send(self, connection: aiosmtplib.SMTP, recipient: str, message: bytes) -> None:
        """Send one message (CRLF line ends, as `compose` makes them); raise Transient or
        Permanent."""
        try:
            await _transaction(connection, self.envelope_from, recipient, message)
        except aiosmtplib.SMTPRecipientsRefused as error:
            self._refused(error.recipients[0].code, error.recipients[0].message)
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as error:
            self._refused(error.code, error.message)
        except aiosmtplib.SMTPResponseException as error:
            # MAIL FROM, HELO or AUTH refused: our side's problem, never the reader's.
            self._failed()
            raise Transient(f"{error.code} {error.message}") from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            self._failed()
            connection.close()
            raise Transient(repr(error)) from error
        self._succeeded()
        EMAILS.labels("sent").inc()

    def _refused(self, code: int, message: str) -> None:
        if code >= 500:
            self._succeeded()  # the server answered properly: no reason to pause
            EMAILS.labels("permanent").inc()
            raise Permanent(f"{code} {message}")
        self._failed()
        raise Transient(f"{code} {message}")

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self._settings
        connection = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_seconds,
        )
        try:
            await connection.connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            self._failed()
            raise Transient(f"cannot connect to SMTP: {error!r}") from error
        SMTP_CONNECTIONS.inc()
        return connection

    def _succeeded(self) -> None:
        if self._failures or self._pause_factor > 1:
            log.info("smtp.recovered", after_failures=self._failures)
        self._failures = 0
        self._pause_factor = 1
        SMTP_CONSECUTIVE_FAILURES.set(0)

    def _failed(self) -> None:
        EMAILS.labels("transient").inc()
        self._failures += 1
        SMTP_CONSECUTIVE_FAILURES.set(self._failures)
        if self._failures >= self._settings.pause_after_failures and self.paused_until is None:
            seconds = self._settings.pause_seconds * self._pause_factor
            self.paused_until = datetime.now(UTC) + timedelta(seconds=seconds)
            self._pause_factor = min(self._pause_factor * 2, MAX_PAUSE_FACTOR)
            # After the pause one send probes the server; one more failure pauses again.
            self._failures = self._settings.pause_after_failures - 1
            SMTP_PAUSED.set(1)
            SMTP_PAUSES.inc()
            log.warning("smtp.paused", until=self.paused_until.isoformat(), seconds=seconds)

    async def _wait_while_paused(self) -> None:
        while self.paused_until is not None:
            remaining = (self.paused_until - datetime.now(UTC)).total_seconds()
            if remaining <= 0:
                self.paused_until = None
                SMTP_PAUSED.set(0)
                log.info("smtp.resuming")
                break
            await asyncio.sleep(remaining)

    async def check(self) -> None:
        """For /readyz: a paused replica is not ready to send."""
        if self.paused_until is not None and self.paused_until > datetime.now(UTC):
            raise RuntimeError(
                f"smtp: paused until {self.paused_until.isoformat(timespec='seconds')} "
                f"after {self._settings.pause_after_failures} failures in a row"
            )

    async def close(self) -> None:
        while not self._idle.empty():
            connection = self._idle.get_nowait()
            if connection is not None and connection.is_connected:
                try:
                    await asyncio.wait_for(connection.quit(), timeout=2)
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    connection.close()


async def _transaction(
    connection: aiosmtplib.SMTP, sender: str, recipient: str, message: bytes
) -> None:
    """MAIL, RCPT, DATA: what `sendmail` does for one recipient, without what a fan-out pays
    10,000 times for nothing (parsing both addresses again, which the job's validation and the
    settings did, and normalising line ends twice to compute SIZE: they are CRLF already)."""
    options = [f"SIZE={len(message)}"] if connection.supports_extension("size") else []
    try:
        await connection.mail(sender, options=options)
        await connection.rcpt(recipient)
        await connection.data(message)
    except aiosmtplib.SMTPResponseException:
        # As `sendmail`: reset the envelope, so the connection can carry the next message.
        with contextlib.suppress(ConnectionError, aiosmtplib.SMTPResponseException):
            await connection.rset()
        raise
