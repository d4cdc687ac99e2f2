"""Settings base: every service reads one typed settings object from the environment at start."""

import os
import sys
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AmqpDsn,
    Field,
    MongoDsn,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.contracts.site import SiteIdentity

# Secrets that were once published as defaults (earlier compose files): whoever read them
# could sign or authenticate with them, so they are refused whatever their length.
PUBLISHED_SECRETS = frozenset(
    {
        "dev-editor-token-change-me",
        "dev-admin-token-change-me",
        "dev-signing-key-change-me-0123456789abcdef",
    }
)
MIN_DISTINCT_CHARACTERS = 8


def _unguessable(secret: SecretStr) -> SecretStr:
    value = secret.get_secret_value()
    if (
        value in PUBLISHED_SECRETS
        or "change-me" in value.lower()
        or len(set(value)) < MIN_DISTINCT_CHARACTERS
    ):
        raise ValueError(
            "a published or guessable value; 'bash scripts/make-env.sh' writes random ones"
        )
    return secret


# A token or key that signs or authenticates something: never a published or trivial value.
Secret = Annotated[SecretStr, AfterValidator(_unguessable)]


class ServiceSettings(BaseSettings):
    """What every service needs; each service subclasses it with its own fields."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, case_sensitive=False)

    amqp_url: AmqpDsn = AmqpDsn("amqp://guest:guest@127.0.0.1:5672/")
    mongo_url: MongoDsn = MongoDsn("mongodb://127.0.0.1:27017/")
    mongo_db: str = Field(min_length=1)
    exchange: str = "portal.events"
    http_host: str = "127.0.0.1"
    http_port: int = Field(ge=1, le=65535)
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    site_timezone: str = "Asia/Ho_Chi_Minh"

    @field_validator("site_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        parse_zone(value)
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site_timezone)

    # Who publishes the portal (shared/contracts/site.py), until an administrator changes it
    # in content (PUT /api/site); its time zone is SITE_TIMEZONE. The example portal's.
    site_name: str = "Cổng thông tin điện tử"
    site_organisation: str = "Ban Dân vận Tỉnh ủy"
    site_address: str = "Số 1 đường Hùng Vương, phường Đông Hà, tỉnh Quảng Trị"
    site_telephone: str = "0233 3852 000"
    site_email: str = "bandanvan@portal.example"
    site_logo_url: str = ""
    site_footer_text: str = ""

    @field_validator(
        "site_name",
        "site_organisation",
        "site_address",
        "site_telephone",
        "site_email",
        "site_logo_url",
        "site_footer_text",
        mode="before",
    )
    @classmethod
    def _empty_is_the_default(cls, value: object, info: ValidationInfo) -> object:
        # docker-compose passes an unset SITE_* as "": that means "the default", not "none"
        # (a field is emptied through PUT /api/site).
        if value == "" and info.field_name is not None:
            return cls.model_fields[info.field_name].default
        return value

    @model_validator(mode="after")
    def _identity_is_valid(self) -> "ServiceSettings":
        try:  # a bad SITE_* stops the service at start, named as the operator sets it
            self.default_identity()
        except ValidationError as error:
            problems = "; ".join(
                f"SITE_{'_'.join(map(str, item['loc'])).upper()}: {item['msg']}"
                for item in error.errors()
            )
            raise ValueError(problems) from None
        return self

    def default_identity(self) -> SiteIdentity:
        return SiteIdentity(
            name=self.site_name,
            organisation=self.site_organisation,
            address=self.site_address,
            telephone=self.site_telephone,
            email=self.site_email,
            logo_url=self.site_logo_url,
            footer_text=self.site_footer_text,
            time_zone=self.site_timezone,
        )


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def describe_errors(settings_class: type[BaseSettings], error: ValidationError) -> str:
    """One line per bad variable, named the way the operator sets it: in the environment."""
    lines = [f"configuration error in {settings_class.__name__}:"]
    for item in error.errors():
        variable = "_".join(str(part) for part in item["loc"]).upper()
        lines.append(f"  {variable}: {item['msg']}")
    return "\n".join(lines)


def load_settings(settings_class: type[SettingsT]) -> SettingsT:
    """Build the settings or stop the process with a message naming each bad variable.

    With SECRETS_DIR set (Docker Swarm: /run/secrets), a setting may also come from the file
    of its name there, e.g. /run/secrets/editor_token: secrets stay out of the environment.
    """
    secrets_dir = os.environ.get("SECRETS_DIR") or None
    try:
        return settings_class(_secrets_dir=secrets_dir)
    except ValidationError as error:
        sys.stderr.write(describe_errors(settings_class, error) + "\n")
        raise SystemExit(2) from None


def parse_zone(name: str) -> ZoneInfo:
    """Validate a time-zone name at start, so a typo stops the service instead of a request."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error
