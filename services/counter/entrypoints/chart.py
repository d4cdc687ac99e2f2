"""The dashboard's chart, drawn here as SVG: three lines over the period, with its axes.

Server-side SVG rather than a charting library in the browser: a few dozen lines, no
script to bundle, nothing for the pages' strict CSP to allow, and the same picture for
every browser. The page shows the same numbers in a table for screen readers.
"""

from collections.abc import Sequence
from xml.sax.saxutils import escape

from services.counter.domain.dashboard import Point
from shared.presentation.vietnamese import group_digits

WIDTH, HEIGHT = 960, 320
LEFT, RIGHT, TOP, BOTTOM = 72, 44, 16, 48  # room for the labels at either end
LINES = (  # figure, label, colour (contrast ≥ 3:1 on white)
    ("views", "Lượt xem", "#1d4ed8"),
    ("visits", "Lượt truy cập", "#b45309"),
    ("visitors", "Khách", "#047857"),
)
X_LABELS = 8


def nice_top(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above `value`: the top of the y axis."""
    top = 1
    while True:
        for factor in (1, 2, 5):
            if top * factor >= value:
                return top * factor
        top *= 10


def y_steps(top: int) -> int:
    """How many grid lines divide the axis into whole, round numbers (20: 5, 10, 15, 20)."""
    return next(steps for steps in (4, 5, 2, 1) if top % steps == 0)


def line_chart(points: Sequence[Point], labels: Sequence[str], title: str) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_top(max([1, *(getattr(p, f) for p in points for f, _, _ in LINES)]))
    step = plot_w / max(len(points) - 1, 1)

    def x(index: int) -> float:
        return LEFT + index * step

    def y(value: int) -> float:
        return TOP + plot_h - value * plot_h / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
        'font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
    ]
    steps = y_steps(top)
    for n in range(steps + 1):
        value = top * n // steps
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#e5e7eb"/><text x="{LEFT - 8}" y="{y(value) + 4:.1f}" text-anchor="end" '
            f'fill="#374151">{group_digits(value)}</text>'
        )
    every = max(1, -(-len(points) // X_LABELS))
    for index in range(0, len(points), every):
        parts.append(
            f'<text x="{x(index):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
            f'fill="#374151">{escape(labels[index])}</text>'
        )
    for figure, name, colour in LINES:
        coordinates = " ".join(
            f"{x(i):.1f},{y(getattr(p, figure)):.1f}" for i, p in enumerate(points)
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coordinates}">'
            f"<title>{name}</title></polyline>"
        )
    for n, (_, name, colour) in enumerate(LINES):
        at = LEFT + n * 150
        parts.append(
            f'<rect x="{at}" y="{HEIGHT - 18}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{at + 18}" y="{HEIGHT - 8}" fill="#111827">{name}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
