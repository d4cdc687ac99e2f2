"""The editors' HTTP handlers: write, submit for review, schedule, publish, unpublish,
revisions, preview.

Contributors write and submit their own drafts; editors do the rest (domain/editors.py).
"""

from collections.abc import Awaitable, Callable

from aiohttp import web

from services.content.domain.article import Article
from services.content.domain.commands import ArticleDraft, ArticlePatch, ScheduleRequest
from services.content.domain.editors import Editor, Role, may_change, may_read
from services.content.domain.sanitize import clean_body
from services.content.entrypoints.auth import require_staff
from services.content.entrypoints.keys import DELIVERIES, REVISIONS, SECTIONS, STORE, WORKFLOW
from services.content.revision_schemas import CompareOut, CompareQuery, RestoreRequest, RevisionOut
from services.content.schemas import (
    AuditEntry,
    AuditList,
    EditorArticleList,
    EditorListQuery,
    PreviewOut,
    PreviewRequest,
    editor_article_of,
)
from services.content.usecases.editing import Workflow
from shared.contracts.errors import Forbidden, Invalid
from shared.platform.http import json_response, read_model, read_query

# A workflow step on (article id, editor name), and the HTTP handler made of it.
Step = Callable[[Workflow, str, str], Awaitable[Article]]
Handler = Callable[[web.Request], Awaitable[web.Response]]
NOT_YOURS = "a contributor may change only their own drafts, until an editor takes them"


def _answer(request: web.Request, article: Article, status: int = 200) -> web.Response:
    url = request.app[STORE].url_for(article.slug)
    sections = request.app[SECTIONS].current
    return json_response(editor_article_of(article, url, sections), status=status)


def _article_id(request: web.Request) -> str:
    info = request.match_info
    return info["article_id"] if "article_id" in info else info["ref"]


async def _article_for(request: web.Request, editor: Editor) -> Article:
    """The article in the URL, if this editor may work on it (404 / 403 otherwise)."""
    article = await request.app[STORE].get(_article_id(request))
    if not may_change(editor, article.owner, article.status.value):
        raise Forbidden(NOT_YOURS)
    return article


async def create_article(request: web.Request) -> web.Response:
    editor = await require_staff(request, "contributor")
    draft = await read_model(request, ArticleDraft)
    workflow = request.app[WORKFLOW]
    article = await workflow.create(draft, editor.name, owner=editor.id or None)
    return _answer(request, article, status=201)


async def edit_article(request: web.Request) -> web.Response:
    editor = await require_staff(request, "contributor")
    patch = await read_model(request, ArticlePatch)
    if not editor.may("editor"):
        await _article_for(request, editor)
    article = await request.app[WORKFLOW].edit(_article_id(request), patch, editor.name)
    return _answer(request, article)


async def schedule_article(request: web.Request) -> web.Response:
    editor = await require_staff(request, "editor")
    body = await read_model(request, ScheduleRequest)
    workflow = request.app[WORKFLOW]
    article = await workflow.schedule(_article_id(request), body.publish_at, editor.name)
    return _answer(request, article)


def _transition(step: Step, role: Role = "editor") -> Handler:
    """A handler that moves the article in the URL on, in the name of who is asking."""

    async def handler(request: web.Request) -> web.Response:
        editor = await require_staff(request, role)
        if not editor.may("editor"):
            await _article_for(request, editor)
        article = await step(request.app[WORKFLOW], _article_id(request), editor.name)
        return _answer(request, article)

    return handler


publish_article = _transition(Workflow.publish)
unpublish_article = _transition(Workflow.unpublish)
# A contributor may withdraw their submission back to a draft, and submit it.
draft_article = _transition(Workflow.to_draft, "contributor")
submit_article = _transition(Workflow.submit, "contributor")


async def list_for_editors(request: web.Request) -> web.Response:
    editor = await require_staff(request, "contributor")
    query = await read_query(request, EditorListQuery)
    store = request.app[STORE]
    # A contributor sees their own articles; editors see everyone's (and the review queue).
    owner = None if editor.may("editor") else editor.id
    articles = await store.for_editors(query.status, query.limit, owner=owner)
    sections = request.app[SECTIONS].current
    items = [editor_article_of(a, store.url_for(a.slug), sections) for a in articles]
    return json_response(EditorArticleList(items=items))


async def _readable(request: web.Request) -> tuple[Editor, Article]:
    """The article in the URL, for anyone who may read it: editors, or its contributor."""
    editor = await require_staff(request, "contributor")
    article = await request.app[STORE].get(_article_id(request))
    if not may_read(editor, article.owner):
        raise Forbidden(NOT_YOURS)
    return editor, article


async def get_for_editors(request: web.Request) -> web.Response:
    _, article = await _readable(request)
    return _answer(request, article)


async def article_history(request: web.Request) -> web.Response:
    await _readable(request)
    entries = await request.app[STORE].history(_article_id(request))
    return json_response(AuditList(items=[AuditEntry.model_validate(e) for e in entries]))


async def get_revision(request: web.Request) -> web.Response:
    await _readable(request)
    number = _revision_number(request.match_info["revision"])
    snapshot = await request.app[REVISIONS].read(_article_id(request), number)
    return json_response(RevisionOut(revision=number, **snapshot.model_dump()))


async def compare_revisions(request: web.Request) -> web.Response:
    await _readable(request)
    query = await read_query(request, CompareQuery)
    revisions = request.app[REVISIONS]
    changes = await revisions.compare(_article_id(request), query.before, query.after)
    return json_response(CompareOut(before=query.before, after=query.after, fields=changes))


async def restore_revision(request: web.Request) -> web.Response:
    editor = await require_staff(request, "editor")
    body = await read_model(request, RestoreRequest)
    number = _revision_number(request.match_info["revision"])
    revisions = request.app[REVISIONS]
    article = await revisions.restore(_article_id(request), number, editor.name, body.revision)
    return _answer(request, article)


def _revision_number(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 10**9:
        raise Invalid(
            "a revision is a number from 1", [{"field": "revision", "message": text[:20]}]
        )
    return int(text)


async def article_deliveries(request: web.Request) -> web.Response:
    await require_staff(request, "editor")
    await request.app[STORE].get(_article_id(request))  # 404 for an unknown article
    return json_response(await request.app[DELIVERIES].counts(_article_id(request)))


async def preview(request: web.Request) -> web.Response:
    await require_staff(request, "contributor")
    body = await read_model(request, PreviewRequest)
    return json_response(PreviewOut(body=clean_body(body.body)))
