"""Notifier pieces without I/O: input validation, sign-up limits, SMTP error handling."""

from typing import Any

import aiosmtplib
import pytest
from pydantic import ValidationError

from services.notifier.adapters.smtp import Draining, Permanent, Sender, Transient
from services.notifier.config import NotifierSettings
from services.notifier.domain.deliveries import DeliveryJob
from services.notifier.domain.models import PreferencesRequest, SubscribeRequest, require_sections
from services.notifier.entrypoints.ratelimit import WindowLimiter
from services.notifier.schemas import SubscriberListQuery, TokenQuery
from shared.contracts.errors import Invalid
from shared.contracts.events import decode, encode, new_envelope
from shared.contracts.sections import STARTER, Section, SectionCatalogue
from tests.notifier_support import published_article

KEY = "unit-signing-key-0123456789abcdef0123"


def test_sign_up_normalises_the_address_and_sections() -> None:
    request = SubscribeRequest(
        email="Ban.Doc@Example.VN", sections=["thong-bao", "dan-van", "thong-bao"]
    )
    assert request.email == "ban.doc@example.vn"
    assert request.sections == ["dan-van", "thong-bao"]
    assert request.language == "vi"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.vn", "sections": ["Thể thao"]},  # not a slug (which section
        # exists is checked against the sections content announced: require_sections)
        {"email": "not an address"},
        {"email": "người@example.vn"},
        {"email": "a@example.vn", "language": "fr"},
        {"email": "a@example.vn", "unknown": True},
    ],
)
def test_bad_sign_ups_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SubscribeRequest.model_validate(body)


def test_preferences_accept_only_known_sections() -> None:
    assert PreferencesRequest(sections=[], paused=True).paused
    with pytest.raises(ValidationError, match="pattern"):
        PreferencesRequest(sections=["Không có"])  # not even a slug
    # A slug is checked against the sections as content announced them, not a fixed list.
    require_sections(["thong-bao"], STARTER)
    with pytest.raises(Invalid, match="unknown section"):
        require_sections(["khong-co"], STARTER)
    hidden = SectionCatalogue(sections=(Section(slug="cu", name="Cũ", hidden=True),))
    with pytest.raises(Invalid, match="unknown section"):
        require_sections(["cu"], hidden)  # nobody takes a hidden section anew
    require_sections(["cu"], hidden, hidden_too=frozenset({"cu"}))  # one who had it keeps it


CONTROL = ["\x00", "\x07", "\x1b", "\r\n", "\x7f", "\x85", "\u200b", "\u202e", "\u2028"]


@pytest.mark.parametrize("char", CONTROL)
def test_every_text_field_refuses_control_characters(char: str) -> None:
    cases: list[tuple[type[Any], dict[str, Any]]] = [
        (SubscribeRequest, {"email": f"ban{char}doc@example.vn"}),
        (SubscribeRequest, {"email": "a@example.vn", "sections": [f"thong-{char}bao"]}),
        (PreferencesRequest, {"sections": [f"thong{char}-bao"]}),
        (TokenQuery, {"token": f"gAAAAAB{char}abc"}),
        (SubscriberListQuery, {"after": f"a{char}@example.vn"}),
    ]
    for model, body in cases:
        with pytest.raises(ValidationError):
            model.model_validate(body)


def test_whitespace_around_an_address_or_token_is_stripped() -> None:
    assert SubscribeRequest(email="\tban.doc@example.vn\n").email == "ban.doc@example.vn"
    assert TokenQuery(token=" gAAAAABabc\n").token == "gAAAAABabc"


@pytest.mark.parametrize(
    "recipient",
    [
        "ban doc@example.vn",
        "ban.doc@example.vn\r\nRCPT TO:<khac@example.vn>",
        "ban\x00doc@example.vn",
        "<ban.doc@example.vn>",
        "ban.doc@example.vn,khac@example.vn",
        "ban.doc",
        "@example.vn",
        "ban.doc@",
        "a@b@example.vn",
        "x" * 250 + "@example.vn",
    ],
)
def test_a_delivery_job_with_an_implausible_recipient_cannot_be_read(recipient: str) -> None:
    article = published_article("a-1")
    with pytest.raises(ValidationError):
        DeliveryJob(article=article, recipients=["ok@example.vn", recipient], attempt_limit=1)
    with pytest.raises(ValidationError):
        DeliveryJob(
            article=article,
            recipients=["ok@example.vn"],
            languages={recipient: "en"},
            attempt_limit=1,
        )


def test_a_delivery_job_with_plausible_recipients_goes_through_the_bus_encoding() -> None:
    job = DeliveryJob(
        article=published_article("a-1"),
        recipients=["ban.doc+tin@so-noi-vu.example.vn", "o'neil@example.vn"],
        languages={"o'neil@example.vn": "en"},
        attempt_limit=3,
    )
    assert decode(encode(new_envelope(job, "notifier"))).data == job


def test_window_limiter_counts_per_key() -> None:
    limiter = WindowLimiter(limit=2)
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("a")] == [True, True, False]
    assert limiter.hit("b")


def test_a_lease_shorter_than_a_send_is_a_configuration_error() -> None:
    with pytest.raises(ValidationError, match="CLAIM_LEASE_SECONDS"):
        NotifierSettings(
            mongo_db="unit", signing_key=KEY, smtp_timeout_seconds=30, claim_lease_seconds=10
        )


class FakeConnection:
    """Stands in for an aiosmtplib.SMTP whose mail transaction raises what it is told to."""

    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.closed = False
        self.commands: list[str] = []

    def supports_extension(self, extension: str) -> bool:
        return extension == "size"

    async def mail(self, sender: str, options: list[str]) -> None:
        self.commands.append(f"MAIL {sender} {' '.join(options)}")

    async def rcpt(self, recipient: str) -> None:
        self.commands.append(f"RCPT {recipient}")

    async def data(self, message: bytes) -> None:
        self.commands.append("DATA")
        if self.error is not None:
            raise self.error

    async def rset(self) -> None:
        self.commands.append("RSET")

    def close(self) -> None:
        self.closed = True


def sender(**settings: Any) -> Sender:
    return Sender(NotifierSettings(mongo_db="unit", signing_key=KEY, **settings))


async def send(target: Sender, error: Exception | None) -> FakeConnection:
    connection = FakeConnection(error)
    await target.send(connection, "a@example.vn", b"x")  # type: ignore[arg-type]
    return connection


async def test_a_5xx_on_rcpt_or_data_is_permanent_and_a_4xx_transient() -> None:
    target = sender()
    refused = aiosmtplib.SMTPRecipientRefused(550, "No such user", "a@example.vn")
    with pytest.raises(Permanent, match="550"):
        await send(target, aiosmtplib.SMTPRecipientsRefused([refused]))
    with pytest.raises(Permanent, match="554"):
        await send(target, aiosmtplib.SMTPDataError(554, "rejected"))
    with pytest.raises(Transient, match="451"):
        await send(target, aiosmtplib.SMTPDataError(451, "later"))
    # A refused sender is our configuration, never the reader's fault: not permanent.
    with pytest.raises(Transient):
        await send(target, aiosmtplib.SMTPSenderRefused(550, "no", "tin-moi@portal.example"))


async def test_a_lost_connection_is_transient_and_the_connection_dropped() -> None:
    target = sender()
    connection = FakeConnection(aiosmtplib.SMTPServerDisconnected("gone"))
    with pytest.raises(Transient):
        await target.send(connection, "a@example.vn", b"x")  # type: ignore[arg-type]
    assert connection.closed


async def test_failures_in_a_row_pause_the_replica_and_a_success_resets_the_count() -> None:
    target = sender(pause_after_failures=3, pause_seconds=60)
    for _ in range(2):
        with pytest.raises(Transient):
            await send(target, aiosmtplib.SMTPDataError(451, "later"))
    await send(target, None)
    for _ in range(2):
        with pytest.raises(Transient):
            await send(target, aiosmtplib.SMTPDataError(451, "later"))
    await target.check()  # two in a row since the success: still sending
    with pytest.raises(Transient):
        await send(target, aiosmtplib.SMTPDataError(451, "later"))
    assert target.paused_until is not None
    with pytest.raises(RuntimeError, match="smtp: paused until"):
        await target.check()


async def test_a_draining_sender_starts_no_new_article_send() -> None:
    target = sender()
    target.drain()
    with pytest.raises(Draining):
        async with target.slot():
            pytest.fail("no slot while draining")


async def test_one_message_is_one_transaction_with_its_exact_size() -> None:
    connection = await send(sender(), None)
    assert connection.commands == [
        "MAIL tin-moi@portal.example SIZE=1",
        "RCPT a@example.vn",
        "DATA",
    ]


async def test_a_refused_message_resets_the_envelope_for_the_next_one() -> None:
    target = sender()
    connection = FakeConnection(aiosmtplib.SMTPDataError(554, "rejected"))
    with pytest.raises(Permanent):
        await target.send(connection, "a@example.vn", b"x")  # type: ignore[arg-type]
    assert connection.commands[-1] == "RSET"
    assert not connection.closed
