"""A newsroom at work, in the real browser through the gateway: an administrator invites a
contributor and an editor by email; the contributor writes with the rich editor and an
uploaded photo and submits; the editor approves and publishes; readers get the right photo
size on a phone and a desktop; the subscriber's email carries the article. Screenshots of
every staff page, at 390, 768 and 1280 px, go to the artefacts."""

import io
import re
import uuid
from collections.abc import Callable

import pytest
from PIL import Image, ImageDraw
from playwright.async_api import Browser, Page, Response, ViewportSize, expect

from tests.e2e.browser_support import (
    DESKTOP_AGENT,
    PHONE_AGENT,
    Portal,
    artifact,
    browser_fixture,  # noqa: F401 - a fixture
    new_context,
    portal_fixture,  # noqa: F401 - a fixture
    portal_processes_fixture,  # noqa: F401 - a fixture
    sign_in,
)
from tests.support import Mailpit, eventually

pytestmark = pytest.mark.e2e

SECTION = "tin-tuc-su-kien"
PASSWORD = "mật khẩu của tòa soạn 2026"
WIDTHS = (390, 768, 1280)
# Whatever sits in a page's main column must end inside it: a cut-off button or a table
# running out of its card is a layout fault even when the page itself does not scroll. On a
# phone a wide table may scroll inside its card; from 768 px on, its buttons must show.
OVERFLOWS = """() => {
  const main = document.querySelector("main") || document.body;
  const edge = main.getBoundingClientRect().right + 1;
  const strict = window.innerWidth >= 768;
  const out = [];
  const name = el => el.outerHTML.slice(0, 80);
  for (const el of main.querySelectorAll("button, input, select, textarea, table, img, .panel")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    const scroller = el.closest(".table-scroll");
    const limit = scroller ? scroller.getBoundingClientRect().right + 1 : edge;
    if (scroller && !strict) continue;
    if (box.right > (strict ? limit : edge)) out.push(name(el));
  }
  if (document.documentElement.scrollWidth > innerWidth) {
    // The outermost elements that stick out: what makes the page wider than the screen.
    const wider = el => el.getBoundingClientRect().right > innerWidth + 1;
    const scrolled = el => {
      for (let a = el.parentElement; a; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== "visible") return true;
      }
      return false;
    };
    const wide = [...document.body.querySelectorAll("*")].filter(
      el => wider(el) && !scrolled(el) && el.parentElement && !wider(el.parentElement));
    out.push("the page scrolls sideways: " + wide.slice(0, 3).map(name).join(" | "));
  }
  return out;
}"""


def recorder(into: list[Response]) -> Callable[[Response], None]:
    def record(response: Response) -> None:
        into.append(response)

    return record


def photo_jpeg() -> bytes:
    """A 2400×1600 photo-like JPEG with EXIF, as a camera would send."""
    image = Image.new("RGB", (2400, 1600), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    for x in range(0, 2400, 60):
        draw.rectangle((x, 0, x + 30, 1600), fill=(200, (x // 10) % 255, 80))
    exif = Image.Exif()
    exif[0x010F] = "Máy ảnh của phóng viên"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


async def invite(page: Page, name: str, email: str, role: str) -> None:
    await page.goto("/bien-tap/nhan-su")
    form = page.locator("#invite")
    await form.get_by_label("Họ và tên").fill(name)
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Vai trò").select_option(role)
    await form.get_by_role("button", name="Gửi lời mời").click()
    await expect(page.locator("#staff-status")).to_have_text(f"Đã gửi lời mời tới {email}.")


async def accept_mailed_invitation(
    browser: Browser, portal: Portal, mailpit: Mailpit, email: str
) -> Page:
    """Open the invitation link from the mail in a new browser, set a password: signed in."""
    mails = await eventually(lambda: mailpit.messages_to(email), timeout=30, what="invitation")
    text = (await mailpit.message(mails[0]["ID"]))["Text"]
    link = re.search(re.escape(portal.url) + r"/bien-tap/loi-moi#[A-Za-z0-9_-]+", text)
    assert link, f"no invitation link in:\n{text}"
    context = await new_context(browser, portal, f"{DESKTOP_AGENT} {email}")
    page = await context.new_page()
    await page.goto(link.group(0))
    await expect(page.locator("#link-about")).to_contain_text(email)
    assert "#" not in page.url  # the secret left the address bar
    await page.get_by_label("Mật khẩu mới").fill(PASSWORD)
    await page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    await page.screenshot(path=artifact("staff-invitation.png"), full_page=True)
    await page.get_by_role("button", name="Đặt mật khẩu và đăng nhập").click()
    await page.wait_for_url("**/bien-tap")
    await expect(page.locator("#workspace")).to_be_visible()
    return page


async def subscribe(page: Page, mailpit: Mailpit, portal: Portal, address: str) -> None:
    await page.goto("/dang-ky-nhan-tin")
    form = page.locator("form[data-subscribe]")
    await form.get_by_label("Địa chỉ email").fill(address)
    await form.get_by_label("Tin tức - Sự kiện").check()
    await form.get_by_role("button", name="Đăng ký").click()
    mails = await eventually(lambda: mailpit.messages_to(address), what="confirmation")
    text = (await mailpit.message(mails[0]["ID"]))["Text"]
    link = re.search(re.escape(portal.url) + r"/\S*confirm\S*", text)
    assert link
    await page.goto(link.group(0))
    await page.get_by_role("button", name="Xác nhận đăng ký").click()
    await expect(page.get_by_role("heading", name="Đã xác nhận")).to_be_visible()


async def write_with_a_photo(page: Page, title: str, photo: bytes) -> None:
    await page.get_by_role("button", name="Viết bài mới").click()
    form = page.locator("#article-form")
    await form.get_by_label("Tiêu đề", exact=True).fill(title)
    await form.get_by_label("Chuyên mục").select_option(SECTION)
    await form.get_by_label("Sapo (tóm tắt)").fill("Sapo của bài có ảnh.")
    prose = page.get_by_label("Nội dung bài viết")
    await prose.click()
    await page.keyboard.type("Hội nghị tổng kết công tác năm diễn ra sáng nay.")
    await page.get_by_role("button", name="Ảnh", exact=True).click()
    picker = page.locator("#photo-picker")
    await expect(picker).to_be_visible()
    await picker.get_by_label("Tải ảnh lên", exact=False).set_input_files(
        {"name": "hoi-nghi.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    await picker.get_by_label("Chú thích").fill("Quang cảnh hội nghị")
    await picker.get_by_role("button", name="Tải lên").click()
    await expect(picker.locator("#picker-status")).to_have_text("Đã tải lên.", timeout=60_000)
    await page.screenshot(path=artifact("staff-photo-picker.png"), full_page=True)
    await picker.get_by_role("button", name="Chèn vào bài: Quang cảnh hội nghị").first.click()
    await expect(page.locator(".re-prose figure figcaption")).to_have_text("Quang cảnh hội nghị")


async def test_an_invited_contributor_writes_an_editor_publishes_and_readers_get_it(
    portal: Portal, browser: Browser, mailpit: Mailpit
) -> None:
    run = uuid.uuid4().hex[:6]
    writer_email, editor_email = f"ctv-{run}@so.example.vn", f"btv-{run}@so.example.vn"
    reader_email = f"ban-doc-{run}@example.vn"
    admin = await (await new_context(browser, portal, DESKTOP_AGENT)).new_page()
    await subscribe(admin, mailpit, portal, reader_email)
    await sign_in(admin)
    await invite(admin, "Lê Thị Cộng Tác", writer_email, "contributor")
    await invite(admin, "Trần Văn Biên Tập", editor_email, "editor")
    await expect(admin.locator("#pending tr", has_text=editor_email)).to_be_visible()

    writer = await accept_mailed_invitation(browser, portal, mailpit, writer_email)
    await expect(writer.get_by_role("button", name="Duyệt và xuất bản")).to_be_hidden()
    title = f"Tổng kết công tác năm {run}"
    await write_with_a_photo(writer, title, photo_jpeg())
    await writer.get_by_role("button", name="Gửi duyệt").click()
    await expect(writer.locator("#article-state")).to_have_attribute("data-status", "review")
    await writer.screenshot(path=artifact("staff-editor-contributor.png"), full_page=True)

    editor = await accept_mailed_invitation(browser, portal, mailpit, editor_email)
    await admin.goto("/bien-tap/nhan-su")
    for email in (writer_email, editor_email):
        await expect(admin.locator("#people tr", has_text=email)).to_be_visible()
    await admin.screenshot(path=artifact("staff-people.png"), full_page=True)
    await editor.get_by_role("button", name="Chờ duyệt").click()
    row = editor.locator("#articles tr", has_text=title)
    await row.get_by_role("button", name=f"Sửa bài: {title}").click()
    await expect(editor.locator("#f-title")).to_have_value(title)
    await editor.screenshot(path=artifact("staff-editor-review.png"), full_page=True)
    await editor.get_by_role("button", name="Duyệt và xuất bản").click()
    await expect(editor.locator("#article-state")).to_have_attribute("data-status", "published")
    await expect(editor.locator("#approved")).to_contain_text("Trần Văn Biên Tập")
    await expect(editor.locator("#revisions tr[data-revision]").first).to_be_visible()
    await editor.screenshot(path=artifact("staff-editor-history.png"), full_page=True)
    url = await editor.get_by_role("link", name="Xem trên trang").get_attribute("href")
    assert url is not None

    # The reader's browser takes the photo size its screen needs.
    chosen = {}
    for name, agent, phone in (("phone", PHONE_AGENT, True), ("desktop", DESKTOP_AGENT, False)):
        reader = await (await new_context(browser, portal, agent, phone=phone)).new_page()
        responses: list[Response] = []
        reader.on("response", recorder(responses))
        await reader.goto(url)
        figure = reader.locator(".story-body figure img")
        await expect(figure).to_be_visible()
        await expect(reader.locator(".story-body figcaption")).to_have_text("Quang cảnh hội nghị")
        await reader.wait_for_function(
            "() => { const i = document.querySelector('.story-body figure img');"
            " return i && i.complete && i.naturalWidth > 0; }"
        )
        chosen[name] = await figure.evaluate("i => [i.currentSrc, i.naturalWidth]")
        weights = {
            r.url.rpartition("/")[2] or "page": len(await r.body())
            for r in responses
            if r.status == 200 and r.request.resource_type not in {"eventsource", "ping"}
        }
        # What the article page with its photo weighs here (uncompressed), for the notes.
        print(f"article with a photo, {name}: {sum(weights.values())} bytes", weights)
        await reader.screenshot(path=artifact(f"article-photo-{name}.png"), full_page=True)
        await reader.context.close()
    assert re.search(r"/anh/[0-9a-f]+/640\.jpg$", chosen["phone"][0]), chosen
    assert re.search(r"/anh/[0-9a-f]+/1024\.jpg$", chosen["desktop"][0]), chosen

    async def article_mail() -> list[dict[str, object]]:
        return [m for m in await mailpit.messages_to(reader_email) if m["Subject"] == title]

    await eventually(article_mail, timeout=60, what="the article's email to the subscriber")
    for page in (admin, writer, editor):
        await page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
async def test_every_staff_page_fits_its_width(
    portal: Portal, browser: Browser, width: int
) -> None:
    context = await new_context(browser, portal, DESKTOP_AGENT)
    page = await context.new_page()
    await page.set_viewport_size(ViewportSize(width=width, height=900))
    for path in ("/bien-tap/dang-nhap", "/bien-tap/khoi-tao", "/bien-tap/dat-lai-mat-khau"):
        await page.goto(path)
        assert await page.evaluate(OVERFLOWS) == [], path
        await page.screenshot(path=artifact(f"staff{path.replace('/', '-')}-{width}.png"))
    await sign_in(page)
    for path in ("/bien-tap", "/bien-tap/nhan-su", "/bien-tap/anh"):
        await page.goto(path)
        await page.wait_for_load_state("networkidle")
        assert await page.evaluate(OVERFLOWS) == [], path
        await page.screenshot(
            path=artifact(f"staff{path.replace('/', '-')}-{width}.png"), full_page=True
        )
    await context.close()


async def test_a_save_over_someone_elses_change_is_refused_in_plain_vietnamese(
    portal: Portal, browser: Browser
) -> None:
    pages = []
    for _ in range(2):
        page = await (await new_context(browser, portal, DESKTOP_AGENT)).new_page()
        await sign_in(page)
        pages.append(page)
    first, second = pages
    title = f"Bài hai người sửa {uuid.uuid4().hex[:6]}"
    await first.get_by_role("button", name="Viết bài mới").click()
    await first.locator("#article-form").get_by_label("Tiêu đề", exact=True).fill(title)
    await first.get_by_role("button", name="Lưu nháp").click()
    await expect(first.locator("#article-state")).to_have_attribute("data-status", "draft")
    await second.get_by_role("button", name="Làm mới danh sách").click()
    await second.get_by_role("button", name=f"Sửa bài: {title}").click()
    await expect(second.locator("#f-title")).to_have_value(title)

    await first.locator("#f-title").fill(f"{title} (bản của người thứ nhất)")
    await first.get_by_role("button", name="Lưu nháp").click()
    await expect(first.locator("#editor-status")).to_have_text("Đã lưu.")
    await second.locator("#f-title").fill(f"{title} (bản của người thứ hai)")
    await second.get_by_role("button", name="Lưu nháp").click()
    await expect(second.locator("#editor-status")).to_contain_text(
        "đã được người khác thay đổi trong lúc bạn làm việc"
    )
    await second.screenshot(path=artifact("staff-editor-conflict.png"), full_page=True)
    for page in pages:
        await page.context.close()


async def test_the_photo_library_uploads_with_the_sessions_csrf_token(
    portal: Portal, browser: Browser
) -> None:
    page = await (await new_context(browser, portal, DESKTOP_AGENT)).new_page()
    await sign_in(page)
    await page.goto("/bien-tap/anh")
    form = page.locator("#photo-upload")
    await form.get_by_label("Tệp ảnh").set_input_files(
        {"name": "thu-vien.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()}
    )
    await form.get_by_label("Chú thích", exact=False).fill("Ảnh của thư viện")
    await form.get_by_role("button", name="Tải lên").click()
    await expect(page.locator("#photos-status")).to_contain_text(
        "Đã tải lên “thu-vien.jpg” (2400×1600 px)", timeout=60_000
    )
    await page.context.close()
