"""Who is asking: a staff member's session cookie, or a bearer token made for a script.

A cookie is sent by the browser whoever made the request, so a write authenticated by a
cookie must also carry the session's CSRF token in `X-CSRF-Token`: a page on another site
can make the browser send the cookie, but cannot read the token (it is in a cookie only
this site's scripts can read) nor send a custom header without CORS, which we never allow.
A bearer token is never sent by a browser on its own, so it needs no such check.
"""

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from services.content.adapters.editors import EditorTokens
from services.content.domain.editors import Editor, Role
from services.content.domain.staff import Session, StaffMember
from services.content.usecases.accounts import Accounts
from shared.contracts.errors import Forbidden, Unauthenticated
from shared.platform.http import bearer_token

SESSION_COOKIE = "portal_session"
CSRF_COOKIE = "portal_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_COOKIE = 128  # our tokens are 43 characters; anything longer is not one of ours


@dataclass(frozen=True)
class Caller:
    editor: Editor
    member: StaffMember | None  # None for a bearer token


class Authenticator:
    def __init__(self, tokens: EditorTokens, accounts: Accounts, secure_cookies: bool) -> None:
        self._tokens = tokens
        self._accounts = accounts
        self._secure = secure_cookies

    async def caller(self, request: web.Request, role: Role) -> Caller:
        """401 without a valid session or token, 403 if the role is not enough or a
        cookie-authenticated write lacks its CSRF token."""
        caller = await self._identify(request)
        if caller is None:
            raise Unauthenticated("sign in, or send a valid bearer token")
        if not caller.editor.may(role):
            raise Forbidden(f"this needs the {role} role")
        return caller

    async def _identify(self, request: web.Request) -> Caller | None:
        token = bearer_token(request)
        if token:
            editor = await self._tokens.editor_for(token)
            return None if editor is None else Caller(editor, None)
        cookie = request.cookies.get(SESSION_COOKIE, "")
        if not cookie or len(cookie) > MAX_COOKIE:
            return None
        found = await self._accounts.signed_in(cookie)
        if found is None:
            return None
        member, session = found
        if request.method not in SAFE_METHODS:
            check_csrf(request, session)
        return Caller(member.editor, member)

    def start_session(self, response: web.StreamResponse, token: str, session: Session) -> None:
        max_age = int((session.expires_at - datetime.now(UTC)).total_seconds())
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self._secure,
        )
        # Readable by our scripts (not HttpOnly), which send it back in the header.
        response.set_cookie(
            CSRF_COOKIE,
            session.csrf,
            max_age=max_age,
            path="/",
            samesite="Strict",
            secure=self._secure,
        )

    def end_session(self, response: web.StreamResponse) -> None:
        response.del_cookie(SESSION_COOKIE, path="/")
        response.del_cookie(CSRF_COOKIE, path="/")


def check_csrf(request: web.Request, session: Session) -> None:
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise Forbidden("missing or wrong CSRF token; reload the page")


AUTH = web.AppKey("auth", Authenticator)


async def caller(request: web.Request, role: Role = "contributor") -> Caller:
    return await request.app[AUTH].caller(request, role)


async def require_staff(request: web.Request, role: Role = "editor") -> Editor:
    """The signed-in staff member or token's editor; 401 if none, 403 if below `role`."""
    return (await request.app[AUTH].caller(request, role)).editor
