"""HTTP handlers of the counter: the widget's numbers and per-article views."""

from aiohttp import web

from services.counter.keys import SETTINGS, STATS, STORE
from shared.http import json_response
from shared.vietnamese import group_digits

# The widget is on the portal's pages, which may be served from another origin.
PUBLIC_HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}


async def get_stats(request: web.Request) -> web.Response:
    stats = await request.app[STATS].get()
    widget = {
        "online": stats.online,
        "today": stats.visits_today,
        "total": stats.visits_total + request.app[SETTINGS].baseline_visits,
    }
    response = json_response(
        {
            **widget,
            "formatted": {name: group_digits(value) for name, value in widget.items()},
            "measures": {
                "online": "distinct visitors in the online window",
                "today": "visits since local midnight",
                "total": "visits ever plus the imported baseline",
                # The visitor hash's salt turns at local midnight, so one person is one
                # visitor per day: "visitors.total" is the sum of the daily counts.
                "visitors": "distinct visitors per local day",
            },
            "visits": {"today": stats.visits_today, "total": stats.visits_total},
            "views": {"today": stats.views_today, "total": stats.views_total},
            "visitors": {"today": stats.visitors_today, "total": stats.visitors_total},
            "bots": {"today": stats.bots_today},
        }
    )
    response.headers.update(PUBLIC_HEADERS)
    return response


async def get_article_views(request: web.Request) -> web.Response:
    article_id = request.match_info["article_id"]
    views = await request.app[STORE].article_views(article_id)
    response = json_response({"article_id": article_id, "views": views})
    response.headers.update(PUBLIC_HEADERS)
    return response
