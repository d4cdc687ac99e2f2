"""Staff accounts: who may sign in, and the rules of their passwords, invitations and
sessions. Nothing here does I/O (adapters/staff.py stores them; usecases/accounts.py
decides)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.content.domain.editors import Editor, Role

# An invitation is a link in an email: it must not stay usable for long after it was sent.
INVITATION_LIFETIME = timedelta(days=3)
# A reset link is more dangerous (it takes over an existing account): one hour, once.
RESET_LIFETIME = timedelta(hours=1)
SESSION_LIFETIME = timedelta(days=14)
# Sign-in failures counted per window, per account and per client address.
ATTEMPT_WINDOW = timedelta(minutes=15)
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 20
MIN_PASSWORD, MAX_PASSWORD = 10, 256


@dataclass(frozen=True)
class StaffMember:
    id: str
    email: str
    name: str
    role: Role
    active: bool
    # Raised by "sign out everywhere", a password change and removal: every session made
    # under an older epoch stops working at once, on every replica.
    session_epoch: int
    created_at: datetime

    @property
    def editor(self) -> Editor:
        return Editor(self.name, self.role, self.id)


@dataclass(frozen=True)
class Invitation:
    email: str
    name: str
    role: Role
    invited_by: str
    expires_at: datetime


@dataclass(frozen=True)
class Session:
    staff_id: str
    epoch: int
    csrf: str
    expires_at: datetime


def normal_email(email: str) -> str:
    """One spelling per address, so one account and one attempt counter per address."""
    return email.strip().lower()
