"""The staff API's route table: accounts, sessions, invitations, resets, people, tokens."""

from aiohttp import web

from services.content.entrypoints import staff_views as views
from services.content.schemas import TokenCreated, TokenRequest
from services.content.staff_schemas import (
    AcceptRequest,
    InvitationOut,
    InviteRequest,
    Me,
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
)
from shared.platform.openapi import ApiSpec, Route

STAFF, ADMIN = "staff", "admin"
SIGNED_IN = "Signed in: the session cookie (HttpOnly) and the CSRF cookie are set"
MEMBER = "/api/staff/{member_id}"

ROUTES = (
    Route("POST", "/api/staff/setup", views.setup,
          "Make the first administrator with EDITOR_TOKEN (refused once one exists)", STAFF,
          body=SetupRequest, responses={201: Me, 409: "An administrator exists"}),
    Route("POST", "/api/staff/sign-in", views.sign_in, "Sign in with email and password",
          STAFF, body=SignInRequest,
          responses={200: Me, 403: "Wrong email or password", 429: "Too many failures"}),
    Route("POST", "/api/staff/sign-out", views.sign_out, "End this session", STAFF,
          responses={204: "Signed out"}, auth=True),
    Route("POST", "/api/staff/sign-out-everywhere", views.sign_out_everywhere,
          "End every session of this account", STAFF, responses={204: "Signed out"},
          auth=True),
    Route("GET", "/api/editor/me", views.me, "Who is signed in (or whose token this is)",
          STAFF, responses={200: Me}, auth=True),
    Route("POST", "/api/staff/invitations", views.invite,
          "Invite a person by email (admin); the link expires", ADMIN, body=InviteRequest,
          responses={201: InvitationOut, 503: "The mail could not be queued"}, auth=True),
    Route("GET", "/api/staff/invitations", views.pending_invitations,
          "Invitations not yet used nor expired (admin)", ADMIN,
          responses={200: PendingList}, auth=True),
    Route("DELETE", "/api/staff/invitations/{ref}", views.revoke_invitation,
          "Revoke an invitation (admin): its link stops working", ADMIN,
          responses={204: "Revoked", 404: "Used, expired or revoked"}, auth=True),
    Route("POST", "/api/staff/invitations/lookup", views.look_up_invitation,
          "What an invitation link is for", STAFF, body=SecretQuery,
          responses={200: InvitationOut, 404: "Used or expired"}),
    Route("POST", "/api/staff/invitations/accept", views.accept_invitation,
          "Accept an invitation: set a password and sign in", STAFF, body=AcceptRequest,
          responses={201: Me, 404: "Used or expired"}),
    Route("POST", "/api/staff/password-reset", views.ask_reset,
          "Mail a reset link (the same answer whether the address has an account)", STAFF,
          body=ResetAsk, responses={202: "A link is mailed if the address has an account"}),
    Route("POST", "/api/staff/password-reset/confirm", views.reset_password,
          "Set a new password with a reset link; ends every other session", STAFF,
          body=ResetRequest, responses={200: Me, 404: "Used or expired"}),
    Route("GET", "/api/staff", views.list_staff, "Everyone on the staff (admin)", ADMIN,
          responses={200: StaffList}, auth=True),
    Route("PUT", f"{MEMBER}/role", views.change_role, "Change a role (admin)", ADMIN,
          body=RoleChange, responses={200: StaffOut}, auth=True),
    Route("DELETE", MEMBER, views.remove_staff,
          "Remove a person (admin): their sessions stop at once", ADMIN,
          responses={200: StaffOut}, auth=True),
    Route("GET", "/api/editor/tokens", views.list_tokens, "Script tokens (admin; never the "
          "tokens themselves)", ADMIN, responses={200: TokenList}, auth=True),
    Route("POST", "/api/editor/tokens", views.create_token, "Make a script token (admin)",
          ADMIN, body=TokenRequest, responses={201: TokenCreated}, auth=True),
    Route("DELETE", "/api/editor/tokens/{ref}", views.revoke_token, "Revoke a script token "
          "(admin)", ADMIN, responses={204: "Revoked"}, auth=True),
)  # fmt: skip


def add_staff_routes(app: web.Application, spec: ApiSpec) -> None:
    spec.add_table(app, ROUTES)
