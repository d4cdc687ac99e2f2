"""The bodies of the staff API: first administrator, sign-in, invitations, resets, people
and script tokens (they also generate its OpenAPI document)."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.content.domain.editors import Role
from services.content.domain.staff import MAX_PASSWORD
from shared.contracts.text import ONE_LINE


def _address(value: str) -> str:
    """Checked by email-validator (syntax and domain form, no DNS), imported with the first
    address rather than at start."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"value is not a valid email address: {error}") from None


Email = Annotated[
    str,
    Field(min_length=3, max_length=254, json_schema_extra={"format": "email"}),
    AfterValidator(_address),
]
Name = Annotated[str, Field(min_length=1, max_length=120, pattern=ONE_LINE)]
# Length rules are the use case's (a clear Vietnamese message); this only bounds the body.
Password = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD)]
Secret = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_-]+$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SetupRequest(_In):
    """The first administrator, made with the installation's EDITOR_TOKEN."""

    token: str = Field(min_length=1, max_length=256)
    email: Email
    name: Name
    password: Password


class SignInRequest(_In):
    email: Email
    password: Password


class InviteRequest(_In):
    email: Email
    name: Name
    role: Role = "contributor"


class InvitationOut(BaseModel):
    email: str
    name: str
    role: Role
    invited_by: str
    expires_at: datetime


class PendingInvitation(InvitationOut):
    ref: str = Field(description="names the invitation for revoking it")


class PendingList(BaseModel):
    items: list[PendingInvitation]


class SecretQuery(_In):
    token: Secret


class AcceptRequest(_In):
    token: Secret
    password: Password


class ResetAsk(_In):
    email: Email


class ResetRequest(_In):
    token: Secret
    password: Password


class StaffOut(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime


class StaffList(BaseModel):
    items: list[StaffOut]


class RoleChange(_In):
    role: Role


class Me(BaseModel):
    """Who is signed in (or whose token this is)."""

    name: str
    role: Role
    email: str | None = None
    id: str | None = None


class TokenOut(BaseModel):
    ref: str
    name: str
    role: Role
    created_at: datetime
    created_by: str


class TokenList(BaseModel):
    items: list[TokenOut]
