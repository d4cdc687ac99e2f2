"""The rich editor bundle (static/rich-editor.js) in headless Chromium, under the pages' CSP.

A tiny aiohttp app serves the built bundle, the portal's stylesheet and a test-only harness
page with the content service's own Content-Security-Policy header, so the editor is tried
on its own, apart from the editor page that embeds it.
"""

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from PIL import Image
from playwright.async_api import Browser, Page, ViewportSize, expect

from services.content.domain.sanitize import clean_body
from services.content.entrypoints.pages import PAGE_HEADERS, STATIC
from tests.e2e.browser_support import (
    artifact,
    browser_fixture,  # noqa: F401 - a fixture
)
from tests.support import eventually

pytestmark = pytest.mark.e2e

BUNDLE = ("rich-editor.js", "rich-editor.css")
PHOTO = {
    "src": "/anh/cau-moi-800.jpg",
    "srcset": "/anh/cau-moi-400.webp 400w, /anh/cau-moi-800.webp 800w",
    "sizes": "(max-width: 600px) 100vw, 800px",
    "alt": "Cầu mới bắc qua sông",
    "caption": "Cầu mới được khánh thành sáng 25-4.",
}
FIGURE = (
    '<figure><img src="/anh/cau-moi-800.jpg" alt="Cầu mới bắc qua sông" '
    'srcset="/anh/cau-moi-400.webp 400w, /anh/cau-moi-800.webp 800w" '
    'sizes="(max-width: 600px) 100vw, 800px">'
    "<figcaption>Cầu mới được khánh thành sáng 25-4.</figcaption></figure>"
)

PAGE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rich editor harness</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/site.css">
<link rel="stylesheet" href="/static/rich-editor.css">
<script src="/static/rich-editor.js" defer></script>
<script src="/harness.js" defer></script>
</head>
<body>
<main class="wrap">
<section class="panel">
<label for="body">Nội dung</label>
<textarea id="body" name="body" rows="8"><p>Có sẵn <b>đậm</b></p></textarea>
</section>
</main>
</body>
</html>
"""

# Test-only glue, a classic same-origin script as the editor page's own will be: it mounts the
# editor on the textarea and records what the page would see.
HARNESS = """
(function () {
  var photo = %s;
  var seen = (window.harness = { changes: [], photoRequests: 0 });
  window.body = window.RichEditor.mount(document.getElementById("body"), {
    onChange: function (html) { seen.changes.push(html); },
    onPhotoRequest: function () { seen.photoRequests += 1; window.body.insertPhoto(photo); }
  });
  document.documentElement.dataset.ready = "yes";
})();
"""

# Before any page script: every CSP violation the page reports, and the editor's paste.
WATCH_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI + " " + event.sample);
});
"""
PASTE = """([html, text]) => {
  const data = new DataTransfer();
  data.setData("text/html", html);
  data.setData("text/plain", text);
  const event = new ClipboardEvent(
    "paste", { clipboardData: data, bubbles: true, cancelable: true }
  );
  document.querySelector(".re-prose").dispatchEvent(event);
  return event.defaultPrevented;
}"""

# What Word (Microsoft 365, Windows) puts on the clipboard as text/html for a short document:
# a heading 1 and 2, a paragraph with bold, italic and a link, a bulleted and a numbered list
# (mso-list paragraphs with their bullets in conditional comments), a table, a picture that
# only exists on the author's disk, and empty paragraphs.
WORD_HTML = """<html xmlns:v="urn:schemas-microsoft-com:vml"
xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word"
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml"
xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv=Content-Type content="text/html; charset=utf-8">
<meta name=ProgId content=Word.Document>
<meta name=Generator content="Microsoft Word 15">
<link rel=File-List href="file:///C:/Users/BTV/AppData/Local/Temp/msohtmlclip1/01/clip_filelist.xml">
<!--[if gte mso 9]><xml>
 <o:OfficeDocumentSettings><o:AllowPNG/></o:OfficeDocumentSettings>
</xml><![endif]-->
<style>
<!--
 /* Font Definitions */
 @font-face {font-family:"Cambria Math"; panose-1:2 4 5 3 5 4 6 3 2 4;}
p.MsoNormal, li.MsoNormal, div.MsoNormal
	{mso-style-unhide:no; margin-top:0in; margin-bottom:8.0pt; font-size:11.0pt;
	font-family:"Calibri",sans-serif;}
h1 {mso-style-link:"Heading 1 Char"; font-size:16.0pt; color:#2F5496;}
-->
</style>
</head>
<body lang=EN-US link="#0563C1" vlink="#954F72" style='tab-interval:.5in;word-wrap:break-word'>
<!--StartFragment-->
<h1 style='margin-top:12.0pt'><span lang=VI style='mso-ansi-language:VI'>Tỉnh tổ chức
hội nghị<o:p></o:p></span></h1>

<p class=MsoNormal><span lang=VI style='font-size:12.0pt;line-height:107%;
font-family:"Times New Roman",serif;mso-ansi-language:VI'>Sáng nay, <b
style='mso-bidi-font-weight:normal'>Sở Nội vụ</b> đã <i style='mso-bidi-font-style:
normal'>chính thức</i> công bố kết quả; xem <a
href="https://sonoivu.example.vn/ket-qua"><span
style='color:#0563C1'>toàn văn</span></a>.<o:p></o:p></span></p>

<p class=MsoNormal><o:p>&nbsp;</o:p></p>

<h2><span lang=VI
style='font-size:13.0pt;mso-ansi-language:VI'>Những điểm chính<o:p></o:p></span></h2>

<p class=MsoListParagraphCxSpFirst
style='text-indent:-.25in;mso-list:l0 level1 lfo1'><![if !supportLists]><span
lang=VI style='font-family:Symbol;mso-fareast-font-family:Symbol;mso-bidi-font-family:
Symbol;mso-ansi-language:VI'><span style='mso-list:Ignore'>·<span
style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;
</span></span></span><![endif]><span lang=VI
style='mso-ansi-language:VI'>Điểm thứ nhất<o:p></o:p></span></p>

<p class=MsoListParagraphCxSpMiddle style='margin-left:1.0in;mso-add-space:auto;
text-indent:-.25in;mso-list:l0 level2 lfo1'><![if !supportLists]><span lang=VI
style='font-family:"Courier New";mso-fareast-font-family:"Courier New";mso-ansi-language:VI'><span
style='mso-list:Ignore'>o<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;
</span></span></span><![endif]><span lang=VI
style='mso-ansi-language:VI'>Ý phụ<o:p></o:p></span></p>

<p class=MsoListParagraphCxSpLast
style='text-indent:-.25in;mso-list:l0 level1 lfo1'><![if !supportLists]><span
lang=VI style='font-family:Symbol;mso-fareast-font-family:Symbol;mso-ansi-language:VI'><span
style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;
</span></span></span><![endif]><span lang=VI
style='mso-ansi-language:VI'>Điểm thứ hai<o:p></o:p></span></p>

<p class=MsoListParagraphCxSpFirst
style='text-indent:-.25in;mso-list:l1 level1 lfo2'><![if !supportLists]><span
lang=VI style='mso-ansi-language:VI'><span style='mso-list:Ignore'>1.<span
style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;
</span></span></span><![endif]><span lang=VI
style='mso-ansi-language:VI'>Bước một<o:p></o:p></span></p>

<p class=MsoListParagraphCxSpLast
style='text-indent:-.25in;mso-list:l1 level1 lfo2'><![if !supportLists]><span
lang=VI style='mso-ansi-language:VI'><span style='mso-list:Ignore'>2.<span
style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;
</span></span></span><![endif]><span lang=VI
style='mso-ansi-language:VI'>Bước hai<o:p></o:p></span></p>

<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0
 style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;
 mso-yfti-tbllook:1184;mso-padding-alt:0in 5.4pt 0in 5.4pt'>
 <tr style='mso-yfti-irow:0;mso-yfti-firstrow:yes'>
  <td width=312 valign=top style='width:233.75pt;border:solid windowtext 1.0pt;
  padding:0in 5.4pt 0in 5.4pt'>
  <p class=MsoNormal style='margin-bottom:0in;line-height:normal'><b><span
  lang=VI style='mso-ansi-language:VI'>Huyện<o:p></o:p></span></b></p>
  </td>
  <td width=312 valign=top style='width:233.75pt;border:solid windowtext 1.0pt;
  border-left:none;padding:0in 5.4pt 0in 5.4pt'>
  <p class=MsoNormal style='margin-bottom:0in;line-height:normal'><b><span
  lang=VI style='mso-ansi-language:VI'>Số hộ<o:p></o:p></span></b></p>
  </td>
 </tr>
 <tr style='mso-yfti-irow:1;mso-yfti-lastrow:yes'>
  <td width=312 valign=top style='width:233.75pt;border:solid windowtext 1.0pt;
  border-top:none;padding:0in 5.4pt 0in 5.4pt'>
  <p class=MsoNormal style='margin-bottom:0in;line-height:normal'><span lang=VI
  style='mso-ansi-language:VI'>Mường Lát<o:p></o:p></span></p>
  </td>
  <td width=312 valign=top style='width:233.75pt;border-top:none;border-left:
  none;border-bottom:solid windowtext 1.0pt;border-right:solid windowtext 1.0pt;
  padding:0in 5.4pt 0in 5.4pt'>
  <p class=MsoNormal style='margin-bottom:0in;line-height:normal'><span lang=VI
  style='mso-ansi-language:VI'>1.426<o:p></o:p></span></p>
  </td>
 </tr>
</table>

<p class=MsoNormal><span style='mso-no-proof:yes'><!--[if gte vml 1]><v:shape id="Picture_x0020_1"
 o:spid="_x0000_i1025" type="#_x0000_t75" style='width:200pt;height:150pt'>
 <v:imagedata src="file:///C:/Users/BTV/AppData/Local/Temp/msohtmlclip1/01/clip_image001.jpg"
  o:title=""/>
</v:shape><![endif]--><![if !vml]><img width=267 height=200
src="file:///C:/Users/BTV/AppData/Local/Temp/msohtmlclip1/01/clip_image002.jpg"
v:shapes="Picture_x0020_1"><![endif]></span><span lang=VI style='mso-ansi-language:VI'>Ảnh:
Lê Văn Hùng<o:p></o:p></span></p>
<!--EndFragment-->
</body>
</html>"""
WORD_EXPECTED = (
    "<h2>Tỉnh tổ chức hội nghị</h2>"
    "<p>Sáng nay, <strong>Sở Nội vụ</strong> đã <em>chính thức</em> công bố kết quả; xem "
    '<a href="https://sonoivu.example.vn/ket-qua">toàn văn</a>.</p>'
    "<h2>Những điểm chính</h2>"
    "<ul><li><p>Điểm thứ nhất</p><ul><li><p>Ý phụ</p></li></ul></li>"
    "<li><p>Điểm thứ hai</p></li></ul>"
    "<ol><li><p>Bước một</p></li><li><p>Bước hai</p></li></ol>"
    "<table><tbody>"
    "<tr><td><p><strong>Huyện</strong></p></td><td><p><strong>Số hộ</strong></p></td></tr>"
    "<tr><td><p>Mường Lát</p></td><td><p>1.426</p></td></tr>"
    "</tbody></table>"
    "<p>Ảnh: Lê Văn Hùng</p>"
)

# A web page as Chrome copies it (here Google Docs): formatting as style, everything in spans,
# the whole paste inside a <b style="font-weight:normal">.
WEB_HTML = (
    '<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1a2b3c">'
    '<h1 dir="ltr" style="line-height:1.38;margin-top:20pt"><span style="font-size:20pt;'
    'font-family:Arial,sans-serif;color:#000000">Lịch tiếp công dân</span></h1>'
    '<p dir="ltr" style="line-height:1.38"><span style="font-size:11pt;font-weight:700;'
    'color:#000000">Thứ Hai</span><span style="font-size:11pt"> và </span>'
    '<span style="font-size:11pt;font-style:italic">Thứ Năm</span><span style="font-size:11pt">'
    ', xem </span><a href="mailto:tiepdan@example.vn" style="text-decoration:none;">'
    '<span style="font-size:11pt;color:#1155cc;text-decoration:underline;">thư</span></a>'
    '<span style="font-size:11pt"> hoặc </span>'
    '<a href="javascript:alert(1)"><span style="font-size:11pt">đây</span></a></p>'
    '<ol style="margin-top:0;margin-bottom:0"><li dir="ltr" style="list-style-type:decimal">'
    '<p dir="ltr" role="presentation"><span class="c4">Sáng</span></p></li></ol>'
    '<p dir="ltr"><span><img src="https://cdn.example.com/anh.jpg" alt="Ảnh nơi khác" '
    'style="width:300px"><img src="/anh/cau-moi-800.jpg" alt="Ảnh của cổng" width="300">'
    "</span></p>"
    '<h4 class="title"><font face="Tahoma" color="red">Ghi chú</font></h4></b>'
)
WEB_EXPECTED = (
    "<h2>Lịch tiếp công dân</h2>"
    "<p><strong>Thứ Hai</strong> và <em>Thứ Năm</em>, xem "
    '<a href="mailto:tiepdan@example.vn">thư</a> hoặc đây</p>'
    "<ol><li><p>Sáng</p></li></ol>"
    '<figure><img src="/anh/cau-moi-800.jpg" alt="Ảnh của cổng"></figure>'
    "<h3>Ghi chú</h3>"
)


async def serve_static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in (*BUNDLE, "site.css"):
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name, headers=PAGE_HEADERS)


def photo_bytes(name: str) -> tuple[bytes, str]:
    """The library's variants of the test photo: a plain picture of the width in its name."""
    stem, kind = name.rsplit(".", 1)
    width = int(stem.rsplit("-", 1)[1])
    picture = Image.new("RGB", (width, width * 9 // 16), (164, 22, 26))
    out = io.BytesIO()
    picture.save(out, "JPEG" if kind == "jpg" else "WEBP")
    return out.getvalue(), "image/jpeg" if kind == "jpg" else "image/webp"


async def serve_photo(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in {"cau-moi-400.webp", "cau-moi-800.webp", "cau-moi-800.jpg"}:
        raise web.HTTPNotFound()
    body, content_type = photo_bytes(name)
    return web.Response(body=body, content_type=content_type)


def harness_app() -> web.Application:
    pages = {
        "/": (PAGE, "text/html"),
        "/harness.js": (HARNESS % json.dumps(PHOTO), "application/javascript"),
    }

    async def serve_page(request: web.Request) -> web.Response:
        text, content_type = pages[request.path]
        return web.Response(
            text=text, content_type=content_type, charset="utf-8", headers=PAGE_HEADERS
        )

    app = web.Application()
    app.router.add_get("/", serve_page)
    app.router.add_get("/harness.js", serve_page)
    app.router.add_get("/static/{name}", serve_static)
    app.router.add_get("/anh/{name}", serve_photo)
    return app


@pytest.fixture(scope="module")
async def harness_url() -> AsyncIterator[str]:
    missing = [name for name in BUNDLE if not (STATIC / name).is_file()]
    if missing:
        pytest.fail(f"{missing} not built: run scripts/bootstrap.sh (npm ci + the esbuild step)")
    runner = web.AppRunner(harness_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def open_harness(browser: Browser, url: str, width: int = 1280) -> tuple[Page, list[str]]:
    context = await browser.new_context(
        viewport=ViewportSize(width=width, height=900), locale="vi-VN"
    )
    context.set_default_timeout(15_000)
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    await page.goto(url)
    await expect(page.locator("html")).to_have_attribute("data-ready", "yes")
    return page, console


@pytest.fixture(name="page")
async def page_fixture(browser: Browser, harness_url: str) -> AsyncIterator[Page]:
    """The harness at desktop width; after the test, no CSP violation and no script error."""
    page, console = await open_harness(browser, harness_url)
    yield page
    await no_csp_violation(page, console)
    await page.context.close()


async def no_csp_violation(page: Page, console: list[str]) -> None:
    violations = await page.evaluate("window.cspViolations")
    assert violations == []
    problems = [line for line in console if "error" in line or "Content Security" in line]
    assert problems == []


async def html_of(page: Page) -> Any:
    return await page.evaluate("window.body.getHTML()")


def kept_by_the_server(html: str) -> bool:
    """The server's sanitiser keeps the editor's HTML as it is (it only adds rel to links)."""
    return clean_body(html).replace(' rel="noopener noreferrer"', "") == html


async def start_empty(page: Page) -> None:
    await page.evaluate("window.body.setHTML('')")
    await page.locator(".re-prose").click()


def button(page: Page, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


async def test_mounted_on_the_textarea_keeps_it_in_step(page: Page) -> None:
    editing = page.get_by_role("textbox", name="Nội dung")
    await expect(editing).to_be_visible()
    await expect(page.locator("textarea#body")).to_be_hidden()
    assert await html_of(page) == "<p>Có sẵn <strong>đậm</strong></p>"
    await editing.click()
    await page.keyboard.press("End")
    await page.keyboard.type(" thêm")
    expected = "<p>Có sẵn <strong>đậm thêm</strong></p>"
    await expect(page.locator("textarea#body")).to_have_value(expected)
    assert await page.evaluate("window.harness.changes.at(-1)") == expected
    changes = await page.evaluate("window.harness.changes.length")
    await page.evaluate("window.body.setHTML('<p>Bài khác</p>')")  # as when opening an article
    await expect(page.locator("textarea#body")).to_have_value("<p>Bài khác</p>")
    await expect(button(page, "Hoàn tác")).to_be_disabled()  # loading is not a step to undo
    assert await page.evaluate("window.harness.changes.length") == changes
    await editing.click()
    await page.keyboard.press("End")
    await page.keyboard.type("!")
    await expect(page.locator("textarea#body")).to_have_value("<p>Bài khác!</p>")
    await button(page, "Hoàn tác").click()
    await expect(page.locator("textarea#body")).to_have_value("<p>Bài khác</p>")
    labels = await page.locator(".re-toolbar button").evaluate_all(
        "(buttons) => buttons.map((b) => b.getAttribute('aria-label'))"
    )
    assert labels[:14] == [
        "Đậm", "Nghiêng", "Gạch chân", "Tiêu đề 2", "Tiêu đề 3", "Danh sách", "Danh sách số",
        "Trích dẫn", "Liên kết", "Bảng", "Ảnh", "Đường kẻ", "Hoàn tác", "Làm lại",
    ]  # fmt: skip
    await page.evaluate("window.body.destroy()")
    await expect(page.locator("textarea#body")).to_be_visible()
    await expect(page.locator(".rich-editor")).to_have_count(0)


async def test_toolbar_formats_text(page: Page) -> None:
    await start_empty(page)
    keyboard = page.keyboard
    await keyboard.type("Tin nổi bật")
    await button(page, "Tiêu đề 2").click()
    await expect(button(page, "Tiêu đề 2")).to_have_attribute("aria-pressed", "true")
    await keyboard.press("Enter")
    await button(page, "Đậm").click()
    await keyboard.type("đậm")
    await button(page, "Đậm").click()
    await keyboard.type(" ")
    await button(page, "Nghiêng").click()
    await keyboard.type("nghiêng")
    await button(page, "Nghiêng").click()
    await keyboard.type(" ")
    await button(page, "Gạch chân").click()
    await keyboard.type("gạch")
    await button(page, "Gạch chân").click()
    await keyboard.press("Enter")
    await keyboard.type("Mục nhỏ")
    await button(page, "Tiêu đề 3").click()
    await keyboard.press("Enter")
    await button(page, "Danh sách").click()
    await keyboard.type("một")
    await keyboard.press("Enter")
    await keyboard.type("hai")
    await keyboard.press("Enter")
    await keyboard.press("Enter")  # an empty item ends the list
    await button(page, "Danh sách số").click()
    await keyboard.type("bước")
    await keyboard.press("Enter")
    await keyboard.press("Enter")
    await button(page, "Trích dẫn").click()
    await keyboard.type("Lời trích")
    await keyboard.press("Enter")
    await keyboard.press("Enter")  # out of the quote
    await button(page, "Đường kẻ").click()
    await keyboard.type("Hết.")
    assert await html_of(page) == (
        "<h2>Tin nổi bật</h2>"
        "<p><strong>đậm</strong> <em>nghiêng</em> <u>gạch</u></p>"
        "<h3>Mục nhỏ</h3>"
        "<ul><li><p>một</p></li><li><p>hai</p></li></ul>"
        "<ol><li><p>bước</p></li></ol>"
        "<blockquote><p>Lời trích</p></blockquote>"
        "<hr><p>Hết.</p>"
    )
    assert kept_by_the_server(await html_of(page))
    await button(page, "Hoàn tác").click()
    assert (await html_of(page)).endswith("<hr>")
    await button(page, "Làm lại").click()
    assert (await html_of(page)).endswith("<hr><p>Hết.</p>")


async def test_links_only_http_https_and_mailto(page: Page) -> None:
    await start_empty(page)
    await page.keyboard.type("Xem cổng thông tin")
    await page.keyboard.press("Shift+Home")
    await button(page, "Liên kết").click()
    address = page.get_by_label("Địa chỉ liên kết")
    await expect(address).to_be_focused()
    await address.fill("javascript:alert(1)")
    await address.press("Enter")
    await expect(page.locator(".re-error")).to_contain_text("http://, https:// hoặc mailto:")
    assert await html_of(page) == "<p>Xem cổng thông tin</p>"
    await address.fill("example.gov.vn/tin")
    await address.press("Enter")
    await expect(address).to_be_hidden()
    assert (
        await html_of(page) == '<p><a href="https://example.gov.vn/tin">Xem cổng thông tin</a></p>'
    )
    # The text gets the focus back once the box closes; keys pressed before that go nowhere.
    await expect(page.locator(".re-prose")).to_be_focused()
    await page.keyboard.press("End")
    await page.keyboard.press("Enter")
    await page.keyboard.press("Control+k")  # the shortcut opens the same box, with no selection
    await address.fill("toasoan@example.vn")
    await button(page, "Áp dụng").click()
    html = await html_of(page)
    assert html.endswith('<p><a href="mailto:toasoan@example.vn">toasoan@example.vn</a></p>')
    assert kept_by_the_server(html)


async def test_tables_get_context_buttons_and_plain_html(page: Page) -> None:
    await start_empty(page)
    await expect(button(page, "Thêm hàng")).to_be_hidden()
    await button(page, "Bảng").click()
    await expect(button(page, "Thêm hàng")).to_be_visible()
    await page.keyboard.type("Huyện")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Số hộ")
    await page.keyboard.press("Tab")
    await button(page, "Xóa cột").click()  # the third column
    await button(page, "Thêm hàng").click()
    html = await html_of(page)
    header = "<tr><th><p>Huyện</p></th><th><p>Số hộ</p></th></tr>"
    empty_row = "<tr><td><p></p></td><td><p></p></td></tr>"
    assert html == f"<table><tbody>{header}{empty_row * 3}</tbody></table>"
    assert kept_by_the_server(html)
    await button(page, "Xóa bảng").click()
    assert await html_of(page) == ""


async def test_photo_with_caption(page: Page) -> None:
    await start_empty(page)
    await page.keyboard.type("Trước ảnh")
    await button(page, "Ảnh").click()  # the page's library would answer with insertPhoto()
    assert await page.evaluate("window.harness.photoRequests") == 1
    assert await html_of(page) == f"<p>Trước ảnh</p>{FIGURE}"
    shown = page.locator(".re-prose figure img")
    await expect(shown).to_have_attribute("srcset", PHOTO["srcset"])
    await expect(shown).to_have_attribute("sizes", PHOTO["sizes"])
    await expect(page.locator(".re-prose figcaption")).to_have_text(PHOTO["caption"])

    no_caption = {**PHOTO, "caption": ""}
    await page.evaluate("(photo) => window.body.insertPhoto(photo)", no_caption)
    html = await html_of(page)
    assert html.endswith(
        f"{FIGURE}{FIGURE.replace('<figcaption>' + PHOTO['caption'] + '</figcaption>', '')}"
    )
    assert kept_by_the_server(html)
    refused = await page.evaluate(
        """() => { try { window.body.insertPhoto({ src: "javascript:alert(1)" }); return "";
                   } catch (error) { return error.name; } }"""
    )
    assert refused == "TypeError"


async def test_paste_from_word_keeps_structure_and_drops_styles(page: Page) -> None:
    await start_empty(page)
    handled = await page.evaluate(PASTE, [WORD_HTML, "Tỉnh tổ chức hội nghị"])
    assert handled is True
    html = await html_of(page)
    for junk in ("style", "class", "mso", "<span", "o:p", "font", "lang", "file:", "Ignore"):
        assert junk not in html
    assert html == WORD_EXPECTED
    assert kept_by_the_server(html)


async def test_paste_from_a_web_page(page: Page) -> None:
    await start_empty(page)
    await page.evaluate(PASTE, [WEB_HTML, "Lịch tiếp công dân"])
    html = await html_of(page)
    assert html == WEB_EXPECTED
    assert kept_by_the_server(html)


async def test_toolbar_by_keyboard(page: Page) -> None:
    await start_empty(page)
    await page.keyboard.press("Alt+F10")
    await expect(button(page, "Đậm")).to_be_focused()
    await page.keyboard.press("ArrowRight")
    await expect(button(page, "Nghiêng")).to_be_focused()
    await page.keyboard.press("Enter")  # italic on, and the focus goes back to the text
    await expect(page.locator(".re-prose")).to_be_focused()
    await page.keyboard.type("nghiêng")
    assert await html_of(page) == "<p><em>nghiêng</em></p>"
    await page.keyboard.press("Alt+F10")
    await expect(button(page, "Nghiêng")).to_be_focused()  # the toolbar keeps its one Tab stop
    await page.keyboard.press("End")
    await expect(button(page, "Làm lại")).to_be_disabled()  # nothing to redo: skipped
    await expect(button(page, "Hoàn tác")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.locator(".re-prose")).to_be_focused()
    tab_stops = await page.locator(".re-toolbar button[tabindex='0']").count()
    assert tab_stops == 1


async def test_the_watch_sees_a_csp_violation(browser: Browser, harness_url: str) -> None:
    """The check every test ends with is real: an inline style is reported."""
    page, _ = await open_harness(browser, harness_url)
    await page.evaluate("document.body.setAttribute('style', 'color: red')")
    await eventually(lambda: page.evaluate("window.cspViolations.length"), what="a report")
    await page.context.close()


@pytest.mark.parametrize("width", [390, 768, 1280])
async def test_fits_without_overflow(browser: Browser, harness_url: str, width: int) -> None:
    page, console = await open_harness(browser, harness_url, width)
    await start_empty(page)
    long_text = "Một từ rất dài: Thànhphốtrựcthuộctrungương" * 3
    await page.keyboard.type(long_text)
    await page.evaluate("(photo) => window.body.insertPhoto(photo)", PHOTO)
    await button(page, "Bảng").click()  # the table buttons make the toolbar its widest
    for _ in range(5):
        await button(page, "Thêm cột").click()
    await page.keyboard.type(long_text)
    sizes = await page.evaluate(
        """() => {
          const editor = document.querySelector(".rich-editor");
          const toolbar = document.querySelector(".re-toolbar");
          const right = editor.getBoundingClientRect().right + 0.5;
          return {
            page: document.documentElement.scrollWidth - window.innerWidth,
            editor: editor.scrollWidth - editor.clientWidth,
            toolbar: toolbar.scrollWidth - toolbar.clientWidth,
            outside: [...toolbar.querySelectorAll("button")]
              .filter((b) => b.getClientRects().length && b.getBoundingClientRect().right > right)
              .map((b) => b.textContent),
          };
        }"""
    )
    await page.screenshot(path=artifact(f"rich-editor-{width}.png"), full_page=True)
    assert sizes == {"page": 0, "editor": 0, "toolbar": 0, "outside": []}
    await no_csp_violation(page, console)
    await page.context.close()
