"""HTTP handlers of the statistics dashboard: its figures, chart, CSV and who may see it."""

import csv
import io

from aiohttp import web

from services.counter import reporting
from services.counter.entrypoints.chart import line_chart
from services.counter.entrypoints.keys import DASHBOARD, READER
from services.counter.entrypoints.views import local_today, require_admin
from services.counter.schemas import CsvQuery, DashboardAccess, DashboardQuery
from shared.platform.http import json_response, read_model, read_query
from shared.presentation.spreadsheet import formula_safe

PRIVATE = {"Cache-Control": "private, no-store"}


async def require_access(request: web.Request) -> None:
    """Staff only (the admin token), unless an administrator made the dashboard public."""
    if not await request.app[DASHBOARD].is_public():
        require_admin(request)


async def get_dashboard(request: web.Request) -> web.Response:
    await require_access(request)
    query = await read_query(request, DashboardQuery)
    today = local_today(request)
    period = reporting.period_asked(query, today)
    online = (await request.app[READER].current()).online
    body = await reporting.dashboard(request.app[DASHBOARD], query.range, period, today, online)
    response = json_response(body)
    response.headers.update(PRIVATE)
    return response


async def get_chart(request: web.Request) -> web.Response:
    """The series as an SVG picture (the page also shows it as a table)."""
    await require_access(request)
    query = await read_query(request, DashboardQuery)
    period = reporting.period_asked(query, local_today(request))
    store = request.app[DASHBOARD]
    points = await store.series(period, await store.months([period]))
    labels = [reporting.label(point) for point in points]
    days = reporting.day_label(period.first)
    if not period.by_hour:
        days += f" – {reporting.day_label(period.last)}"
    title = f"Khách, lượt truy cập và lượt xem, {days}"
    svg = line_chart(points, labels, title)
    return web.Response(text=svg, content_type="image/svg+xml", headers=PRIVATE)


async def get_csv(request: web.Request) -> web.Response:
    """One table, or the series, whole, as CSV (UTF-8 with BOM, so spreadsheets read
    Vietnamese right); client-made names are quoted against formulas."""
    await require_access(request)
    query = await read_query(request, CsvQuery)
    today = local_today(request)
    period = reporting.period_asked(query, today)
    out = io.StringIO()
    writer = csv.writer(out)
    store = request.app[DASHBOARD]
    months = await store.months([period])
    if query.table == "series":
        writer.writerow(["thời điểm", "khách", "lượt truy cập", "lượt xem"])
        for point in await store.series(period, months):
            hour = "" if point.hour is None else f"T{point.hour:02d}:00"
            writer.writerow([f"{point.day}{hour}", point.visitors, point.visits, point.views])
    else:
        writer.writerow(["tên", "lượt xem"])
        for name, views in (await store.tables(period, today, months)).rows(query.table):
            writer.writerow([formula_safe(name), views])
    filename = f"thong-ke-{query.table}-{period.first}-{period.last}.csv"
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode(),
        content_type="text/csv",
        charset="utf-8",
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def get_access(request: web.Request) -> web.Response:
    """Whether the dashboard is public: the page asks before it asks for a token."""
    return json_response(DashboardAccess(public=await request.app[DASHBOARD].is_public()))


async def put_access(request: web.Request) -> web.Response:
    require_admin(request)
    access = await read_model(request, DashboardAccess)
    await request.app[DASHBOARD].set_public(access.public)
    return json_response(access)
