"""Geometry for the overview's small SVG charts, drawn by templates/dashboard/index.html.

Plain SVG shapes with no script and no inline style (the site's CSP allows neither): the
template draws rectangles at the positions computed here, and site.css colours them.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    baseline: float
    maximum: int

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)


def _scale(value: int, maximum: int, length: float) -> float:
    return round(length * value / maximum, 1) if maximum else 0.0


def week_chart(weeks: list[tuple[date, int]], *, width: int = 600, height: int = 200) -> Chart:
    """Vertical bars, one per week, labelled with the week's Monday (``3 Nov``)."""
    top, bottom, side = 20, 28, 8
    plot = height - top - bottom
    step = (width - 2 * side) / max(len(weeks), 1)
    maximum = max((count for _, count in weeks), default=0)
    bars = []
    for n, (monday, count) in enumerate(weeks):
        bar_height = _scale(count, maximum, plot)
        bars.append(Bar(
            label=f"{monday.day} {monday:%b}", value=count, x=round(side + n * step + 4, 1),
            y=round(top + plot - bar_height, 1), width=round(step - 8, 1), height=bar_height,
        ))
    return Chart(width=width, height=height, bars=bars, baseline=top + plot, maximum=maximum)


def funnel_chart(stages: list[tuple[str, int]], *, width: int = 600, row: int = 30) -> Chart:
    """Horizontal bars, one per pipeline stage, widest first, centred like a funnel."""
    label_width, value_width = 110, 60
    plot = width - label_width - value_width
    maximum = max((count for _, count in stages), default=0)
    bars = []
    for n, (label, count) in enumerate(stages):
        bar_width = max(_scale(count, maximum, plot), 2.0 if count else 0.0)
        bars.append(Bar(
            label=label, value=count, x=round(label_width + (plot - bar_width) / 2, 1),
            y=n * row + 4, width=bar_width, height=row - 8,
        ))
    return Chart(width=width, height=row * len(stages), bars=bars, baseline=0,
                 maximum=maximum)
