"""Who is asking: the one check every staff handler makes first."""

from aiohttp import web

from services.content.domain.editors import Editor, Role
from services.content.entrypoints.keys import TOKENS


async def require_staff(request: web.Request, role: Role = "editor") -> Editor:
    """The signed-in staff member (session cookie or bearer token); 401 if none, 403 if
    their role is below `role`."""
    return await request.app[TOKENS].require(request, role)
