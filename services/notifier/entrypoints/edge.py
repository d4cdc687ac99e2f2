"""What the notifier's handlers check at the edge: link tokens, path parameters, admin token."""

from aiohttp import web

from services.notifier.domain.models import MAX_ADDRESS_LENGTH
from services.notifier.domain.tokens import BadToken, Purpose, verify
from services.notifier.entrypoints.keys import SETTINGS
from services.notifier.schemas import TokenQuery
from shared.contracts.errors import Invalid, Malformed
from shared.contracts.text import is_one_line
from shared.platform.http import read_query, require_admin_token


async def token_email(request: web.Request, purpose: Purpose) -> str:
    """The address a link's token was made for; 400 if forged, expired or for another use."""
    query = await read_query(request, TokenQuery)
    key = request.app[SETTINGS].signing_key.get_secret_value().encode()
    try:
        return verify(key, purpose, query.token)
    except BadToken as error:
        raise Malformed(f"{error}: ask for a new link") from None


def require_admin(request: web.Request) -> None:
    require_admin_token(request, request.app[SETTINGS].admin_token)


def path_text(request: web.Request, name: str) -> str:
    """A path parameter; 422 if it holds a control character or is longer than an address."""
    value = request.match_info[name]
    if not is_one_line(value) or len(value) > MAX_ADDRESS_LENGTH:
        raise Invalid(
            "path parameters do not match the schema",
            [{"field": name, "message": "control characters or too long"}],
        )
    return value
