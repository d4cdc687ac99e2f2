"""The site's identity over HTTP: anyone may read it, administrators change it."""

from aiohttp import web

from services.content.entrypoints.keys import SITE, TOKENS
from services.content.schemas import SiteChange, SiteOut
from shared.contracts.site import SiteIdentity
from shared.platform.http import json_response, read_model


async def get_site(request: web.Request) -> web.Response:
    site = request.app[SITE]
    return json_response(SiteOut(revision=site.revision, identity=site.current))


async def put_site(request: web.Request) -> web.Response:
    admin = await request.app[TOKENS].require(request, "admin")
    change = await read_model(request, SiteChange)
    identity = SiteIdentity.model_validate(change.model_dump(exclude={"revision"}))
    site = request.app[SITE]
    revision = await site.update(identity, change.revision, admin.name)
    return json_response(SiteOut(revision=revision, identity=identity))
