"""Bar charts drawn on the server as SVG: no script, no library, readable without either.

Each chart is accessible as an image with a name and a description (``role="img"``, ``<title>``
and ``<desc>`` named by ``aria-labelledby``), and the page puts the same numbers in a table
right after it, for those who would rather read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 36


@dataclass
class Bar:
    label: str
    value: float
    shown: str  # the value as the table and the bar's own title say it
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    label_x: float = 0


@dataclass
class Tick:
    y: float
    label: str


@dataclass
class BarChart:
    id: str
    title: str
    description: str
    column: str  # the heading of the value column in the table behind the chart
    bars: list[Bar]
    ticks: list[Tick] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM
    left: int = LEFT


def bar_chart(
    *, id: str, title: str, description: str, column: str, data: list[tuple[str, float]], percent: bool = False
) -> BarChart:
    """Lay out a bar per ``(label, value)``; ``percent`` reads values as shares (0..1)."""
    top = 1.0 if percent else max([value for _, value in data] + [1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(data), 1)
    bars = []
    for i, (label, value) in enumerate(data):
        h = plot_h * (value / top) if top else 0
        shown = f"{value:.0%}" if percent else f"{value:g}"
        x = LEFT + i * slot + slot * 0.15
        bars.append(
            Bar(
                label=label,
                value=value,
                shown=shown,
                x=round(x, 1),
                y=round(TOP + plot_h - h, 1),
                width=round(slot * 0.7, 1),
                height=round(h, 1),
                label_x=round(x + slot * 0.35, 1),
            )
        )
    ticks = []
    for step in range(5):
        fraction = step / 4
        label = f"{fraction:.0%}" if percent else f"{top * fraction:.3g}"
        ticks.append(Tick(y=round(TOP + plot_h - plot_h * fraction, 1), label=label))
    return BarChart(id=id, title=title, description=description, column=column, bars=bars, ticks=ticks)
