"""The site's identity and its sections over HTTP: anyone may read them, administrators
change them."""

from aiohttp import web

from services.content.entrypoints.auth import require_staff
from services.content.entrypoints.keys import SECTIONS, SITE, STORE
from services.content.schemas import SectionsChange, SectionsOut, SiteChange, SiteOut
from services.content.usecases.sections import replace_sections
from shared.contracts.sections import SectionCatalogue
from shared.contracts.site import SiteIdentity
from shared.platform.http import json_response, read_model


async def get_site(request: web.Request) -> web.Response:
    site = request.app[SITE]
    return json_response(SiteOut(revision=site.revision, identity=site.current))


async def put_site(request: web.Request) -> web.Response:
    admin = await require_staff(request, "admin")
    change = await read_model(request, SiteChange)
    identity = SiteIdentity.model_validate(change.model_dump(exclude={"revision"}))
    site = request.app[SITE]
    revision = await site.save(identity, change.revision, admin.name)
    return json_response(SiteOut(revision=revision, identity=identity))


async def get_sections(request: web.Request) -> web.Response:
    await require_staff(request, "contributor")
    sections = request.app[SECTIONS]
    return json_response(
        SectionsOut(revision=sections.revision, sections=sections.current.sections)
    )


async def put_sections(request: web.Request) -> web.Response:
    admin = await require_staff(request, "admin")
    change = await read_model(request, SectionsChange)
    catalogue = SectionCatalogue(sections=change.sections)
    app = request.app
    revision = await replace_sections(
        app[SECTIONS], app[STORE], catalogue, change.revision, admin.name
    )
    return json_response(SectionsOut(revision=revision, sections=catalogue.sections))
