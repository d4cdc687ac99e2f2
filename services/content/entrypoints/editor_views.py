"""The editors' HTTP handlers: write, schedule, publish, unpublish, preview, who am I."""

from collections.abc import Awaitable, Callable

from aiohttp import web

from services.content.domain.article import Article
from services.content.domain.commands import ArticleDraft, ArticlePatch, ScheduleRequest
from services.content.domain.sanitize import clean_body
from services.content.entrypoints.keys import DELIVERIES, SECTIONS, STORE, TOKENS, WORKFLOW
from services.content.schemas import (
    AuditEntry,
    AuditList,
    EditorArticleList,
    EditorListQuery,
    EditorMe,
    PreviewOut,
    PreviewRequest,
    TokenCreated,
    TokenRequest,
    editor_article_of,
)
from services.content.usecases.editing import Workflow
from shared.platform.http import json_response, read_model, read_query

# A workflow step on (article id, editor name), and the HTTP handler made of it.
Step = Callable[[Workflow, str, str], Awaitable[Article]]
Handler = Callable[[web.Request], Awaitable[web.Response]]


def _answer(request: web.Request, article: Article, status: int = 200) -> web.Response:
    url = request.app[STORE].url_for(article.slug)
    sections = request.app[SECTIONS].current
    return json_response(editor_article_of(article, url, sections), status=status)


def _article_id(request: web.Request) -> str:
    info = request.match_info
    return info["article_id"] if "article_id" in info else info["ref"]


async def create_article(request: web.Request) -> web.Response:
    editor = await request.app[TOKENS].require(request)
    draft = await read_model(request, ArticleDraft)
    article = await request.app[WORKFLOW].create(draft, editor.name)
    return _answer(request, article, status=201)


async def edit_article(request: web.Request) -> web.Response:
    editor = await request.app[TOKENS].require(request)
    patch = await read_model(request, ArticlePatch)
    article = await request.app[WORKFLOW].edit(_article_id(request), patch, editor.name)
    return _answer(request, article)


async def schedule_article(request: web.Request) -> web.Response:
    editor = await request.app[TOKENS].require(request)
    body = await read_model(request, ScheduleRequest)
    workflow = request.app[WORKFLOW]
    article = await workflow.schedule(_article_id(request), body.publish_at, editor.name)
    return _answer(request, article)


def _transition(step: Step) -> Handler:
    """A handler that moves the article in the URL on, in the name of the token's editor."""

    async def handler(request: web.Request) -> web.Response:
        editor = await request.app[TOKENS].require(request)
        article = await step(request.app[WORKFLOW], _article_id(request), editor.name)
        return _answer(request, article)

    return handler


publish_article = _transition(Workflow.publish)
unpublish_article = _transition(Workflow.unpublish)
draft_article = _transition(Workflow.to_draft)


async def list_for_editors(request: web.Request) -> web.Response:
    await request.app[TOKENS].require(request)
    query = await read_query(request, EditorListQuery)
    store = request.app[STORE]
    articles = await store.for_editors(query.status, query.limit)
    sections = request.app[SECTIONS].current
    items = [editor_article_of(a, store.url_for(a.slug), sections) for a in articles]
    return json_response(EditorArticleList(items=items))


async def get_for_editors(request: web.Request) -> web.Response:
    await request.app[TOKENS].require(request)
    store = request.app[STORE]
    article = await store.get(_article_id(request))
    return _answer(request, article)


async def article_history(request: web.Request) -> web.Response:
    await request.app[TOKENS].require(request)
    store = request.app[STORE]
    await store.get(_article_id(request))  # 404 for an unknown article
    entries = await store.history(_article_id(request))
    return json_response(AuditList(items=[AuditEntry.model_validate(e) for e in entries]))


async def article_deliveries(request: web.Request) -> web.Response:
    await request.app[TOKENS].require(request)
    await request.app[STORE].get(_article_id(request))  # 404 for an unknown article
    return json_response(await request.app[DELIVERIES].counts(_article_id(request)))


async def preview(request: web.Request) -> web.Response:
    await request.app[TOKENS].require(request)
    body = await read_model(request, PreviewRequest)
    return json_response(PreviewOut(body=clean_body(body.body)))


async def me(request: web.Request) -> web.Response:
    editor = await request.app[TOKENS].require(request)
    return json_response(EditorMe(name=editor.name, role=editor.role))


async def create_token(request: web.Request) -> web.Response:
    await request.app[TOKENS].require(request, "admin")
    body = await read_model(request, TokenRequest)
    token = await request.app[TOKENS].create(body.name, body.role)
    return json_response(TokenCreated(name=body.name, role=body.role, token=token), status=201)
