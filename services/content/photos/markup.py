"""The HTML that shows a photo: `<picture>` with a WebP `<source>` and a fallback `<img>`,
both with `srcset` and `sizes`, so each browser takes the one width it needs.

Written to pass the body sanitiser (domain/sanitize.py) unchanged: escaped the way its
serialiser escapes, attributes it keeps, addresses under /anh/.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from services.content.photos.model import (
    Format,
    Photo,
    parse_variant_path,
    variant_path,
    widths_for,
)

# How wide the picture is shown (CSS px), for the browser to pick a width before layout:
# the article column (site.css: 72rem page less the 20rem aside, gaps and padding; the
# whole width less the margins below 60rem) and a card (a hero or grid cell).
ARTICLE_SIZES = "(min-width: 60rem) 45rem, calc(100vw - 4rem)"
CARD_SIZES = "(min-width: 44rem) 28rem, calc(100vw - 4rem)"
# The `src` for what ignores srcset (feed and mail readers): a column-sized width.
SRC_WIDTH = 1024


@dataclass(frozen=True)
class Picture:
    """One photo's variants: its id, the widths it has, its fallback format and, when
    known, the size of the largest (for width/height, so the page does not jump)."""

    photo_id: str
    widths: tuple[int, ...]
    fallback: Format
    size: tuple[int, int] | None = None

    @classmethod
    def of(cls, photo: Photo) -> "Picture":
        return cls(photo.id, photo.widths, photo.fallback, (photo.width, photo.height))


def text(value: str) -> str:
    """Escaped for an element's text, as html5ever (nh3) writes it back."""
    return (
        value.replace("&", "&amp;")
        .replace("\u00a0", "&nbsp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def attribute(value: str) -> str:
    """Escaped for a double-quoted attribute, as html5ever (nh3) writes it back."""
    return value.replace("&", "&amp;").replace("\u00a0", "&nbsp;").replace('"', "&quot;")


def srcset(picture: Picture, fmt: str) -> str:
    return ", ".join(f"{variant_path(picture.photo_id, w, fmt)} {w}w" for w in picture.widths)


def picture_html(picture: Picture, alt: str, sizes: str, *, lazy: bool = True) -> str:
    src_width = max([w for w in picture.widths if w <= SRC_WIDTH] or picture.widths[:1])
    dimensions = ""
    if picture.size is not None:
        # The src's own size: its aspect ratio reserves the space before it loads.
        width, height = picture.size
        shown = min(width, src_width)
        dimensions = f' width="{shown}" height="{max(1, round(height * shown / width))}"'
    loading = "lazy" if lazy else "eager"
    return (
        f'<picture><source type="image/webp" srcset="{srcset(picture, "webp")}"'
        f' sizes="{attribute(sizes)}">'
        f'<img src="{variant_path(picture.photo_id, src_width, picture.fallback)}"'
        f' srcset="{srcset(picture, picture.fallback)}" sizes="{attribute(sizes)}"'
        f' alt="{attribute(alt)}"{dimensions} loading="{loading}" decoding="async"></picture>'
    )


def figure_html(photo: Photo, sizes: str = ARTICLE_SIZES) -> str:
    """A photo for an article's body, with its caption."""
    caption = f"<figcaption>{text(photo.caption)}</figcaption>" if photo.caption else ""
    alt = photo.alt or photo.caption
    return f"<figure>{picture_html(Picture.of(photo), alt, sizes)}{caption}</figure>"


def picture_of_url(url: str, public_base: str) -> Picture | None:
    """The photo a cover address names, if it is one of ours: a variant's path, on this
    site (or as a bare path). Its width is the largest the srcset offers, so every width
    listed exists (a photo has each standard width below its own)."""
    parts = urlsplit(url)
    ours = urlsplit(public_base)
    if parts.netloc and (parts.scheme, parts.netloc) != (ours.scheme, ours.netloc):
        return None
    if parts.query or parts.fragment:
        return None
    found = parse_variant_path(parts.path)
    if found is None or found.format == "webp":
        return None
    return Picture(found.photo_id, widths_for(found.width), found.format)


def cover_html(
    url: str | None, alt: str, public_base: str, sizes: str = ARTICLE_SIZES, lazy: bool = True
) -> str | None:
    """A cover as a `<picture>` when it is one of our photos, else None (shown as it is)."""
    picture = picture_of_url(url, public_base) if url else None
    return None if picture is None else picture_html(picture, alt, sizes, lazy=lazy)
