"""Staff accounts: the first administrator, invitations, sign-in and its limits, sessions,
password resets, roles and removal.

Mail to staff (an invitation, a reset link) is asked of the notifier by an event; content
never talks SMTP. The request that asks for it is answered only after the broker confirmed
the event, so an invitation the administrator saw accepted is never silently lost.
"""

import asyncio
import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog

from services.content.adapters.editors import new_token
from services.content.adapters.passwords import Passwords
from services.content.adapters.staff import StaffStore, staff_id
from services.content.domain import staff as rules
from services.content.domain.editors import Role
from services.content.domain.staff import Invitation, Session, StaffMember, normal_email
from shared.contracts.errors import Conflict, Forbidden, Invalid, NotFound, Throttled
from shared.contracts.staff import StaffMailKind, StaffMailRequested

log = structlog.get_logger(__name__)

Mailer = Callable[[StaffMailRequested], Awaitable[None]]
LINK_GONE = "liên kết không còn dùng được (đã dùng hoặc đã hết hạn)"
WRONG = "email hoặc mật khẩu không đúng"
TOO_MANY = "đăng nhập sai quá nhiều lần; hãy thử lại sau 30 phút hoặc đặt lại mật khẩu"


def check_password(password: str) -> None:
    if not rules.MIN_PASSWORD <= len(password) <= rules.MAX_PASSWORD:
        message = f"mật khẩu cần từ {rules.MIN_PASSWORD} đến {rules.MAX_PASSWORD} ký tự"
        raise Invalid(message, [{"field": "password", "message": message}])


class Accounts:
    def __init__(
        self,
        store: StaffStore,
        passwords: Passwords,
        mail: Mailer,
        public_base: str,
        bootstrap_token: str,
    ) -> None:
        self._store = store
        self._passwords = passwords
        self._mail = mail
        self._public_base = public_base
        self._bootstrap = bootstrap_token

    # --- the first administrator ----------------------------------------------------------

    async def bootstrap(self, token: str, email: str, name: str, password: str) -> StaffMember:
        """EDITOR_TOKEN makes the first administrator, and nothing else: once an
        administrator exists it is refused."""
        if not hmac.compare_digest(token.encode(), self._bootstrap.encode()):
            raise Forbidden("this is not the installation's EDITOR_TOKEN")
        if await self._store.any_admin():
            raise Conflict("an administrator exists already; ask them for an invitation")
        return await self._create(email, name, "admin", password)

    async def _create(self, email: str, name: str, role: Role, password: str) -> StaffMember:
        check_password(password)
        email = normal_email(email)
        now = datetime.now(UTC)
        member = StaffMember(staff_id(email), email, name, role, True, 1, now)
        if not await self._store.add(member, await self._passwords.hash(password)):
            raise Conflict("this address has an account already; sign in instead")
        return member

    # --- invitations ------------------------------------------------------------------------

    async def invite(self, by: str, email: str, name: str, role: Role) -> Invitation:
        email = normal_email(email)
        if await self._store.member(staff_id(email)) is not None:
            raise Conflict("this address has an account already")
        token = new_token()
        expires = datetime.now(UTC) + rules.INVITATION_LIFETIME
        invitation = Invitation(email, name, role, by, expires)
        await self._store.add_invitation(token, invitation)
        await self._send("invitation", email, name, f"/bien-tap/loi-moi#{token}", expires, by, role)
        return invitation

    async def invitation(self, token: str) -> Invitation:
        found = await self._store.invitation(token, datetime.now(UTC))
        if found is None:
            raise NotFound(LINK_GONE)
        return found

    async def pending(self) -> list[tuple[str, Invitation]]:
        return await self._store.pending_invitations(datetime.now(UTC))

    async def revoke_invitation(self, ref: str) -> None:
        """The link stops working (to send it again: revoke, then invite again)."""
        if not await self._store.drop_invitation(ref):
            raise NotFound("no such invitation (used, expired or revoked)")

    async def accept(self, token: str, password: str) -> StaffMember:
        check_password(password)  # before the invitation is used up
        invitation = await self._store.use_invitation(token, datetime.now(UTC))
        if invitation is None:
            raise NotFound(LINK_GONE)
        return await self._create(invitation.email, invitation.name, invitation.role, password)

    # --- signing in, sessions -----------------------------------------------------------------

    async def sign_in(self, email: str, password: str, address_key: str) -> StaffMember:
        email = normal_email(email)
        now = datetime.now(UTC)
        window = int(now.timestamp() // rules.ATTEMPT_WINDOW.total_seconds())
        keys = [f"account:{staff_id(email)}", f"address:{address_key}"]
        # This window's failures and the last one's: five failures a minute apart are
        # counted together even when a window ends between them.
        this = await self._store.failures_of(keys, window)
        last = await self._store.failures_of(keys, window - 1)
        account_failures, address_failures = (a + b for a, b in zip(this, last, strict=True))
        if (
            account_failures >= rules.FAILURES_PER_ACCOUNT
            or address_failures >= rules.FAILURES_PER_ADDRESS
        ):
            raise Throttled(TOO_MANY)
        found = await self._store.with_password(email)
        member, stored = found if found is not None else (None, None)
        matched = await self._passwords.matches(stored, password)
        if member is None or not matched or not member.active:
            await self._store.add_failure(keys, window, now + 2 * rules.ATTEMPT_WINDOW)
            raise Forbidden(WRONG)
        return member

    async def open_session(self, member: StaffMember) -> tuple[str, Session]:
        token = new_token()
        expires = datetime.now(UTC) + rules.SESSION_LIFETIME
        session = Session(member.id, member.session_epoch, secrets.token_urlsafe(24), expires)
        await self._store.add_session(token, session)
        return token, session

    async def signed_in(self, token: str) -> tuple[StaffMember, Session] | None:
        """The member a session cookie belongs to, if the session is still good: not expired,
        not ended, and made since the account last ended its sessions."""
        session = await self._store.session(token, datetime.now(UTC))
        if session is None:
            return None
        member = await self._store.member(session.staff_id)
        if member is None or not member.active or member.session_epoch != session.epoch:
            return None
        return member, session

    async def sign_out(self, token: str) -> None:
        await self._store.end_session(token)

    async def sign_out_everywhere(self, member_id: str) -> None:
        await self._store.change(member_id)

    # --- password resets --------------------------------------------------------------------

    async def request_reset(self, email: str) -> None:
        """Mail a reset link if the address has an active account; the same answer either
        way, so the form does not tell who has an account."""
        member = await self._store.member(staff_id(normal_email(email)))
        if member is None or not member.active:
            return
        token = new_token()
        expires = datetime.now(UTC) + rules.RESET_LIFETIME
        await self._store.add_reset(token, member.id, expires)
        link = f"/bien-tap/dat-lai-mat-khau#{token}"
        await self._send("password_reset", member.email, member.name, link, expires)

    async def reset(self, token: str, password: str) -> StaffMember:
        check_password(password)
        member_id = await self._store.use_reset(token, datetime.now(UTC))
        member = None if member_id is None else await self._store.member(member_id)
        if member is None or not member.active:
            raise NotFound(LINK_GONE)
        # A new password ends every session, as after a stolen one.
        changed = await self._store.change(
            member.id, password_hash=await self._passwords.hash(password)
        )
        return changed or member

    # --- what has expired ----------------------------------------------------------------------

    async def sweep(self) -> None:
        await self._store.forget_expired(datetime.now(UTC))

    async def run(self) -> None:
        """Now and then, the expired documents go: without this every wrong password would
        leave a document for ever (per guessed address: what an attacker controls)."""
        while True:
            await asyncio.sleep(rules.ATTEMPT_WINDOW.total_seconds())
            try:
                await self.sweep()
            except Exception:
                log.exception("accounts.sweep_failed")

    # --- people -------------------------------------------------------------------------------

    async def everyone(self) -> list[StaffMember]:
        return await self._store.everyone()

    async def set_role(self, member_id: str, role: Role, by: StaffMember | None) -> StaffMember:
        return await self._change(member_id, by, role=role)

    async def remove(self, member_id: str, by: StaffMember | None) -> StaffMember:
        """Removed, not deleted: the name stays on what they wrote; every session ends."""
        return await self._change(member_id, by, active=False)

    async def _change(
        self, member_id: str, by: StaffMember | None, **fields: object
    ) -> StaffMember:
        await self._not_self(member_id, by)
        changed = await self._store.change(member_id, **fields)
        if changed is None:
            raise NotFound("no such staff member")
        return changed

    async def _not_self(self, member_id: str, by: StaffMember | None) -> None:
        # An administrator cannot demote or remove themself: the last one would lock
        # everyone out, and EDITOR_TOKEN no longer makes another.
        if by is not None and by.id == member_id:
            raise Conflict("ask another administrator to change your own account")

    async def _send(
        self,
        kind: StaffMailKind,
        email: str,
        name: str,
        path: str,
        expires: datetime,
        invited_by: str = "",
        role: str = "",
    ) -> None:
        link = f"{self._public_base}{path}"
        mail = StaffMailRequested.model_validate(
            {
                "kind": kind,
                "email": email,
                "name": name,
                "link": link,
                "expires_at": expires,
                "invited_by": invited_by,
                "role": role,
            }
        )
        await self._mail(mail)
