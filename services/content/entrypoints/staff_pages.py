"""The staff pages: sign-in, the first administrator, an invitation, a password reset, the
people page, and the editor page under its Vietnamese address. Each is the same HTML for
everyone (cached like any page); what a person may see comes from the API, by their
session, in the page's script."""

from typing import Any

from aiohttp import web

from services.content.entrypoints.pages import editor_page, page

STAFF_PAGES = {
    "/bien-tap/dang-nhap": ("sign-in", "Đăng nhập biên tập"),
    "/bien-tap/khoi-tao": ("setup", "Khởi tạo quản trị viên đầu tiên"),
    "/bien-tap/loi-moi": ("accept", "Nhận lời mời"),
    "/bien-tap/dat-lai-mat-khau": ("reset", "Đặt lại mật khẩu"),
    "/bien-tap/nhan-su": ("people", "Nhân sự và mã truy cập"),
}


@page("staff.html")
async def staff_page(request: web.Request) -> dict[str, Any]:
    view, heading = STAFF_PAGES[request.path]
    return {"view": view, "heading": heading, "robots": "noindex"}


def add_staff_pages(app: web.Application) -> None:
    for path in STAFF_PAGES:
        app.router.add_get(path, staff_page)
    app.router.add_get("/bien-tap", editor_page)
