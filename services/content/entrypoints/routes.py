"""The content API's route table and its OpenAPI description, declared side by side."""

from functools import partial

from aiohttp import web

from services.content.adapters.deliveries import DeliveryCounts
from services.content.domain.commands import ArticleDraft, ArticlePatch, ScheduleRequest
from services.content.entrypoints import editor_views, feeds, site_views, views
from services.content.entrypoints.staff_routes import add_staff_routes
from services.content.photos.routes import add_photo_routes
from services.content.revision_schemas import CompareOut, CompareQuery, RestoreRequest, RevisionOut
from services.content.schemas import (
    ArticleList,
    ArticleOut,
    ArticlePage,
    AuditList,
    EditorArticle,
    EditorArticleList,
    EditorListQuery,
    LatestQuery,
    OtherQuery,
    PreviewOut,
    PreviewRequest,
    SearchQuery,
    SectionList,
    SectionsChange,
    SectionsOut,
    SiteChange,
    SiteOut,
    SummariesQuery,
    ViewBeacon,
)
from shared.platform.openapi import ApiSpec

READ, WRITE, ADMIN = "reading", "editing", "admin"
ARTICLE = "/api/articles/{article_id}"
# GET takes a slug and PATCH an id at the same place; OpenAPI wants one parameter name.
ONE_ARTICLE = "/api/articles/{ref}"


def add_api_routes(app: web.Application) -> ApiSpec:
    spec = ApiSpec(
        "Content",
        "1.0",
        "Articles for readers (cached, ETag) and editors (bearer token), and page-view beacons.",
    )
    # Every operation of a group shares its tag (and the editors' ones the bearer token).
    read = partial(spec.route, app, tag=READ)
    edit = partial(spec.route, app, tag=WRITE, auth=True)
    read(
        "GET",
        "/api/articles",
        views.list_articles,
        "Latest live articles, a cursor page",
        query=LatestQuery,
        responses={200: ArticlePage},
    )
    read(
        "GET",
        ONE_ARTICLE,
        views.get_article,
        "One live article; `ref` is its slug",
        responses={
            200: ArticleOut,
            301: "The slug moved; see Location",
            304: "Not modified (If-None-Match)",
        },
    )
    read(
        "GET",
        "/api/articles/{slug}/other",
        views.other_news,
        "Other news: the newest in the same section",
        query=OtherQuery,
        responses={200: ArticleList},
    )
    read("GET", "/api/sections", views.list_sections, "The sections", responses={200: SectionList})
    read(
        "GET",
        "/api/article-summaries",
        views.article_summaries,
        "Live articles by id (unknown or unpublished ids are left out)",
        query=SummariesQuery,
        responses={200: ArticleList},
    )
    read(
        "GET",
        "/api/search",
        views.search_articles,
        "Search titles, leads, tags and bodies, ignoring case and diacritics",
        query=SearchQuery,
        responses={200: ArticleList},
    )
    read(
        "POST",
        "/api/views",
        views.record_view,
        "Record a page view (answered once the broker confirmed it)",
        body=ViewBeacon,
        responses={204: "Recorded", 503: "Not recorded; try again"},
    )

    edit(
        "POST",
        "/api/articles",
        editor_views.create_article,
        "Create a draft",
        body=ArticleDraft,
        responses={201: EditorArticle},
    )
    edit(
        "PATCH",
        ONE_ARTICLE,
        editor_views.edit_article,
        "Edit; `ref` is the article id",
        body=ArticlePatch,
        responses={200: EditorArticle},
    )
    for action, handler, summary in (
        ("publish", editor_views.publish_article, "Publish now"),
        ("unpublish", editor_views.unpublish_article, "Take off the site"),
        ("draft", editor_views.draft_article, "Back to draft (a contributor: withdraw)"),
        ("submit", editor_views.submit_article, "Submit a draft for review (contributors)"),
    ):
        edit("POST", f"{ARTICLE}/{action}", handler, summary, responses={200: EditorArticle})
    edit(
        "POST",
        f"{ARTICLE}/schedule",
        editor_views.schedule_article,
        "Schedule the publication",
        body=ScheduleRequest,
        responses={200: EditorArticle},
    )
    edit(
        "GET",
        "/api/editor/articles",
        editor_views.list_for_editors,
        "Articles in every state",
        query=EditorListQuery,
        responses={200: EditorArticleList},
    )
    edit(
        "GET",
        "/api/editor/articles/{article_id}",
        editor_views.get_for_editors,
        "One article in any state",
        responses={200: EditorArticle},
    )
    edit(
        "GET",
        "/api/editor/articles/{article_id}/history",
        editor_views.article_history,
        "Who changed the article, and when",
        responses={200: AuditList},
    )
    edit(
        "GET",
        "/api/editor/articles/{article_id}/revisions/{revision}",
        editor_views.get_revision,
        "What the article said at one revision",
        responses={200: RevisionOut, 404: "Not kept (recorded before revisions kept text)"},
    )
    edit(
        "GET",
        "/api/editor/articles/{article_id}/compare",
        editor_views.compare_revisions,
        "How two revisions differ, field by field",
        query=CompareQuery,
        responses={200: CompareOut},
    )
    edit(
        "POST",
        "/api/editor/articles/{article_id}/revisions/{revision}/restore",
        editor_views.restore_revision,
        "Restore a revision's text as a new revision (editors)",
        body=RestoreRequest,
        responses={200: EditorArticle, 409: "The article changed since `revision`"},
    )
    edit(
        "GET",
        "/api/editor/articles/{article_id}/deliveries",
        editor_views.article_deliveries,
        "How the article's emails went, by state (asked of the notifier)",
        responses={200: DeliveryCounts, 503: "The notifier did not answer"},
    )
    edit(
        "POST",
        "/api/editor/preview",
        editor_views.preview,
        "The body as it will be shown (sanitised)",
        body=PreviewRequest,
        responses={200: PreviewOut},
    )
    read(
        "GET",
        "/api/site",
        site_views.get_site,
        "The site's identity: name, organisation, address, contacts, logo, footer, time zone",
        responses={200: SiteOut},
    )
    spec.route(
        app,
        "PUT",
        "/api/site",
        site_views.put_site,
        "Change the site's identity (admin); every replica shows it within seconds",
        tag=ADMIN,
        body=SiteChange,
        responses={200: SiteOut, 409: "The site changed since `revision`; read it again"},
        auth=True,
    )
    edit(
        "GET",
        "/api/editor/sections",
        site_views.get_sections,
        "Every section, hidden ones too, in navigation order",
        responses={200: SectionsOut},
    )
    spec.route(
        app,
        "PUT",
        "/api/editor/sections",
        site_views.put_sections,
        "Create, rename, reorder, hide or remove sections (admin): the whole new list",
        tag=ADMIN,
        body=SectionsChange,
        responses={
            200: SectionsOut,
            409: "Stale `revision`, or a section with articles removed or its slug changed",
        },
        auth=True,
    )
    add_staff_routes(app, spec)
    # Feeds and search engines: XML and text for readers' apps and crawlers, not the API.
    app.router.add_get("/rss.xml", feeds.site_feed)
    app.router.add_get("/feed.xml", feeds.old_site_feed)
    app.router.add_get("/chuyen-muc/{slug}/rss.xml", feeds.section_feed)
    app.router.add_get("/sitemap.xml", feeds.sitemap)
    app.router.add_get("/sitemaps/pages.xml", feeds.pages_sitemap)
    app.router.add_get("/sitemaps/articles-{number:[1-9][0-9]{0,8}}.xml", feeds.articles_sitemap)
    app.router.add_get("/sitemap-news.xml", feeds.news)
    app.router.add_get("/robots.txt", feeds.robots_txt)
    add_photo_routes(app, spec)
    spec.add_routes(app)
    return spec
