"""The staff API: the first administrator, sign-in and out, invitations, password resets,
people and script tokens. Each handler reads its body, calls one use case, answers."""

import re
from datetime import UTC, datetime

from aiohttp import web

from services.content.adapters.editors import TokenInfo
from services.content.adapters.visitors import client_ip
from services.content.domain.staff import Invitation, StaffMember
from services.content.entrypoints.auth import (
    AUTH,
    SESSION_COOKIE,
    Caller,
    caller,
    require_staff,
)
from services.content.entrypoints.keys import ACCOUNTS, TOKENS, TRUSTED, VISITORS
from services.content.schemas import TokenCreated, TokenRequest
from services.content.staff_schemas import (
    AcceptRequest,
    InvitationOut,
    InviteRequest,
    Me,
    PendingInvitation,
    PendingList,
    ResetAsk,
    ResetRequest,
    RoleChange,
    SecretQuery,
    SetupRequest,
    SignInRequest,
    StaffList,
    StaffOut,
    TokenList,
    TokenOut,
)
from shared.contracts.errors import NotFound
from shared.platform.http import json_response, read_model

NO_CONTENT = 204
REF = re.compile(r"[0-9a-f]{64}")


def _staff_out(member: StaffMember) -> StaffOut:
    return StaffOut(
        id=member.id,
        email=member.email,
        name=member.name,
        role=member.role,
        active=member.active,
        created_at=member.created_at,
    )


def _invitation_out(invitation: Invitation) -> InvitationOut:
    return InvitationOut.model_validate(invitation.__dict__)


def _token_out(info: TokenInfo) -> TokenOut:
    return TokenOut.model_validate(info.__dict__)


def _me(found: Caller) -> Me:
    """Who is asking: a person (with their address and id), or a script token's name."""
    member = found.member
    return Me(
        name=found.editor.name,
        role=found.editor.role,
        email=member.email if member else None,
        id=member.id if member else None,
    )


async def _signed_in(request: web.Request, member: StaffMember, status: int = 200) -> web.Response:
    """Answer with who signed in, and their new session's cookies."""
    token, session = await request.app[ACCOUNTS].open_session(member)
    response = json_response(_me(Caller(member.editor, member)), status)
    request.app[AUTH].start_session(response, token, session)
    return response


async def setup(request: web.Request) -> web.Response:
    body = await read_model(request, SetupRequest)
    accounts = request.app[ACCOUNTS]
    member = await accounts.bootstrap(body.token, body.email, body.name, body.password)
    return await _signed_in(request, member, status=201)


async def sign_in(request: web.Request) -> web.Response:
    body = await read_model(request, SignInRequest)
    app = request.app
    # Failures are counted per address by the day's salted hash: no address is stored.
    address = client_ip(request, app[TRUSTED])
    address_key = await app[VISITORS].visitor(address, "sign-in", datetime.now(UTC))
    member = await app[ACCOUNTS].sign_in(body.email, body.password, address_key)
    return await _signed_in(request, member)


async def sign_out(request: web.Request) -> web.Response:
    await caller(request)  # a forged sign-out is refused like any other cookie write
    cookie = request.cookies.get(SESSION_COOKIE, "")
    await request.app[ACCOUNTS].sign_out(cookie)
    response = web.Response(status=NO_CONTENT)
    request.app[AUTH].end_session(response)
    return response


async def sign_out_everywhere(request: web.Request) -> web.Response:
    found = await caller(request)
    if found.member is None:
        raise NotFound("a script token has no sessions; revoke it instead")
    await request.app[ACCOUNTS].sign_out_everywhere(found.member.id)
    response = web.Response(status=NO_CONTENT)
    request.app[AUTH].end_session(response)
    return response


async def me(request: web.Request) -> web.Response:
    return json_response(_me(await caller(request)))


async def invite(request: web.Request) -> web.Response:
    admin = await require_staff(request, "admin")
    body = await read_model(request, InviteRequest)
    invitation = await request.app[ACCOUNTS].invite(admin.name, body.email, body.name, body.role)
    return json_response(_invitation_out(invitation), status=201)


async def pending_invitations(request: web.Request) -> web.Response:
    await require_staff(request, "admin")
    pending = await request.app[ACCOUNTS].pending()
    items = [PendingInvitation(ref=ref, **invitation.__dict__) for ref, invitation in pending]
    return json_response(PendingList(items=items))


async def revoke_invitation(request: web.Request) -> web.Response:
    await require_staff(request, "admin")
    ref = request.match_info["ref"]
    if not REF.fullmatch(ref):
        raise NotFound("no such invitation (used, expired or revoked)")
    await request.app[ACCOUNTS].revoke_invitation(ref)
    return web.Response(status=NO_CONTENT)


async def look_up_invitation(request: web.Request) -> web.Response:
    body = await read_model(request, SecretQuery)
    return json_response(_invitation_out(await request.app[ACCOUNTS].invitation(body.token)))


async def accept_invitation(request: web.Request) -> web.Response:
    body = await read_model(request, AcceptRequest)
    member = await request.app[ACCOUNTS].accept(body.token, body.password)
    return await _signed_in(request, member, status=201)


async def ask_reset(request: web.Request) -> web.Response:
    body = await read_model(request, ResetAsk)
    await request.app[ACCOUNTS].request_reset(body.email)
    return web.Response(status=202)


async def reset_password(request: web.Request) -> web.Response:
    body = await read_model(request, ResetRequest)
    member = await request.app[ACCOUNTS].reset(body.token, body.password)
    return await _signed_in(request, member)


async def list_staff(request: web.Request) -> web.Response:
    await require_staff(request, "admin")
    members = await request.app[ACCOUNTS].everyone()
    return json_response(StaffList(items=[_staff_out(m) for m in members]))


async def change_role(request: web.Request) -> web.Response:
    found = await caller(request, "admin")
    body = await read_model(request, RoleChange)
    member_id = request.match_info["member_id"]
    changed = await request.app[ACCOUNTS].set_role(member_id, body.role, found.member)
    return json_response(_staff_out(changed))


async def remove_staff(request: web.Request) -> web.Response:
    found = await caller(request, "admin")
    member_id = request.match_info["member_id"]
    removed = await request.app[ACCOUNTS].remove(member_id, found.member)
    return json_response(_staff_out(removed))


async def list_tokens(request: web.Request) -> web.Response:
    await require_staff(request, "admin")
    infos = await request.app[TOKENS].list()
    return json_response(TokenList(items=[_token_out(info) for info in infos]))


async def create_token(request: web.Request) -> web.Response:
    admin = await require_staff(request, "admin")
    body = await read_model(request, TokenRequest)
    token, info = await request.app[TOKENS].create(body.name, body.role, admin.name)
    created = TokenCreated(name=info.name, role=info.role, token=token, ref=info.ref)
    return json_response(created, status=201)


async def revoke_token(request: web.Request) -> web.Response:
    await require_staff(request, "admin")
    if not await request.app[TOKENS].revoke_ref(request.match_info["ref"]):
        raise NotFound("no such token")
    return web.Response(status=NO_CONTENT)
