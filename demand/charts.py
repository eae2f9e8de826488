"""A horizontal bar chart drawn on the server as inline SVG (no library, no script): each bar's
label on a line of its own above it, so that it fits a 390 px phone. The template draws what
``bar_chart`` measures; the table beside it holds the same figures for screen readers."""

from dataclasses import dataclass

WIDTH = 360  # the viewBox's width; the SVG scales to its container
BAR_SPACE = 300  # the longest bar; the rest holds its value
ROW_HEIGHT = 38
BAR_HEIGHT = 14
MAX_BARS = 12


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    label_y: int
    bar_y: int
    width: int
    value_x: int


@dataclass(frozen=True)
class Chart:
    bars: list
    width: int
    height: int
    bar_height: int


def bar_chart(rows, *, label, value) -> Chart | None:
    """The first ``MAX_BARS`` rows as bars (``label`` and ``value`` name their keys), or None
    when there is nothing to draw."""
    rows = list(rows)[:MAX_BARS]
    largest = max((int(row[value] or 0) for row in rows), default=0)
    if largest <= 0:
        return None
    bars = []
    for index, row in enumerate(rows):
        amount = int(row[value] or 0)
        width = max(2, round(BAR_SPACE * amount / largest)) if amount else 0
        top = index * ROW_HEIGHT
        bars.append(
            Bar(
                label=str(row[label]),
                value=amount,
                label_y=top + 13,
                bar_y=top + 18,
                width=width,
                value_x=width + 6,
            )
        )
    return Chart(bars=bars, width=WIDTH, height=len(bars) * ROW_HEIGHT, bar_height=BAR_HEIGHT)
