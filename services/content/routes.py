"""The content API's route table and its OpenAPI description, declared side by side."""

from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel

from services.content import editor_views, views
from services.content.models import (
    ArticleDraft,
    ArticleList,
    ArticleOut,
    ArticlePage,
    ArticlePatch,
    AuditList,
    EditorArticle,
    EditorArticleList,
    EditorListQuery,
    EditorMe,
    LatestQuery,
    OtherQuery,
    PreviewOut,
    PreviewRequest,
    ScheduleRequest,
    SearchQuery,
    SectionList,
    TokenCreated,
    TokenRequest,
    ViewBeacon,
)
from shared.openapi import ApiSpec

READ, WRITE, ADMIN = "reading", "editing", "admin"
ARTICLE = "/api/articles/{article_id}"
# GET takes a slug and PATCH an id at the same place; OpenAPI wants one parameter name.
ONE_ARTICLE = "/api/articles/{ref}"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_api_routes(app: web.Application) -> ApiSpec:
    spec = ApiSpec(
        "Content",
        "1.0",
        "Articles for readers (cached, ETag) and editors (bearer token), and page-view beacons.",
    )
    router = app.router

    def route(
        method: str,
        path: str,
        handler: Handler,
        summary: str,
        *,
        tag: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        responses: dict[int, type[BaseModel] | str] | None = None,
        auth: bool = False,
    ) -> None:
        router.add_route(method, path, handler)
        spec.operation(
            method, path, summary, tag=tag, body=body, query=query, responses=responses, auth=auth
        )

    route(
        "GET",
        "/api/articles",
        views.list_articles,
        "Latest live articles, a cursor page",
        tag=READ,
        query=LatestQuery,
        responses={200: ArticlePage},
    )
    route(
        "GET",
        ONE_ARTICLE,
        views.get_article,
        "One live article; `ref` is its slug",
        tag=READ,
        responses={
            200: ArticleOut,
            301: "The slug moved; see Location",
            304: "Not modified (If-None-Match)",
        },
    )
    route(
        "GET",
        "/api/articles/{slug}/other",
        views.other_news,
        "Other news: the newest in the same section",
        tag=READ,
        query=OtherQuery,
        responses={200: ArticleList},
    )
    route(
        "GET",
        "/api/sections",
        views.list_sections,
        "The sections",
        tag=READ,
        responses={200: SectionList},
    )
    route(
        "GET",
        "/api/search",
        views.search_articles,
        "Search titles, leads, tags and bodies, ignoring case and diacritics",
        tag=READ,
        query=SearchQuery,
        responses={200: ArticleList},
    )
    route(
        "POST",
        "/api/views",
        views.record_view,
        "Record a page view (answered once the broker confirmed it)",
        tag=READ,
        body=ViewBeacon,
        responses={204: "Recorded", 503: "Not recorded; try again"},
    )

    route(
        "POST",
        "/api/articles",
        editor_views.create_article,
        "Create a draft",
        tag=WRITE,
        body=ArticleDraft,
        responses={201: EditorArticle},
        auth=True,
    )
    route(
        "PATCH",
        ONE_ARTICLE,
        editor_views.edit_article,
        "Edit; `ref` is the article id",
        tag=WRITE,
        body=ArticlePatch,
        responses={200: EditorArticle},
        auth=True,
    )
    for action, handler, summary in (
        ("publish", editor_views.publish_article, "Publish now"),
        ("unpublish", editor_views.unpublish_article, "Take off the site"),
        ("draft", editor_views.draft_article, "Back to draft"),
    ):
        route(
            "POST",
            f"{ARTICLE}/{action}",
            handler,
            summary,
            tag=WRITE,
            responses={200: EditorArticle},
            auth=True,
        )
    route(
        "POST",
        f"{ARTICLE}/schedule",
        editor_views.schedule_article,
        "Schedule the publication",
        tag=WRITE,
        body=ScheduleRequest,
        responses={200: EditorArticle},
        auth=True,
    )
    route(
        "GET",
        "/api/editor/articles",
        editor_views.list_for_editors,
        "Articles in every state",
        tag=WRITE,
        query=EditorListQuery,
        responses={200: EditorArticleList},
        auth=True,
    )
    route(
        "GET",
        "/api/editor/articles/{article_id}",
        editor_views.get_for_editors,
        "One article in any state",
        tag=WRITE,
        responses={200: EditorArticle},
        auth=True,
    )
    route(
        "GET",
        "/api/editor/articles/{article_id}/history",
        editor_views.article_history,
        "Who changed the article, and when",
        tag=WRITE,
        responses={200: AuditList},
        auth=True,
    )
    route(
        "POST",
        "/api/editor/preview",
        editor_views.preview,
        "The body as it will be shown (sanitised)",
        tag=WRITE,
        body=PreviewRequest,
        responses={200: PreviewOut},
        auth=True,
    )
    route(
        "GET",
        "/api/editor/me",
        editor_views.me,
        "Who this token belongs to",
        tag=WRITE,
        responses={200: EditorMe},
        auth=True,
    )
    route(
        "POST",
        "/api/editor/tokens",
        editor_views.create_token,
        "Create an editor token (admin)",
        tag=ADMIN,
        body=TokenRequest,
        responses={201: TokenCreated},
        auth=True,
    )
    spec.add_routes(app)
    return spec
