"""Charts as geometry for server-rendered SVG: no script, nothing fetched, readable by print.

Each builder returns a :class:`Chart` (rectangles, axis labels, legend) that the
``_chart.html`` macro draws; the same numbers go into a table beside the chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

PALETTE = ("#b91c1c", "#2563eb", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")
MUTED = "#d6d3d1"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    gridlines: list[float] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    plot_left: float = 0
    plot_right: float = 0
    baseline: float = 0


TICKS = 4


STEPS = (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)


def nice_max(value: float) -> int:
    """An axis maximum at or above ``value``, split into four whole, round steps."""
    needed = max(value, 1) / TICKS
    power = 10 ** math.floor(math.log10(needed))
    for step in STEPS:
        size = step * power
        if size >= needed and float(size).is_integer():
            return int(size) * TICKS
    return int(10 * power) * TICKS


def _value_axis(chart: Chart, top: float, bottom: float, maximum: int, left: float) -> None:
    for i in range(TICKS + 1):
        y = bottom - (bottom - top) * i / TICKS
        chart.gridlines.append(y)
        chart.labels.append(
            Label(left - 6, y + 4, f"{maximum * i // TICKS:,}".replace(",", "."), "end")
        )


def columns(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    stacked: bool,
    width: int = 720,
    height: int = 300,
) -> Chart:
    """Vertical columns per category: stacked series, or side by side."""
    left, right, top, bottom = 44, width - 8, 12, height - 40
    chart = Chart(width, height, plot_left=left, plot_right=right, baseline=bottom)
    if stacked:
        totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    else:
        totals = [
            max((values[i] for _, values in series), default=0) for i in range(len(categories))
        ]
    maximum = nice_max(max(totals, default=0))
    _value_axis(chart, top, bottom, maximum, left)
    slot = (right - left) / max(1, len(categories))
    column = slot * 0.6
    scale = (bottom - top) / maximum
    for index, name in enumerate(categories):
        x0 = left + slot * index + (slot - column) / 2
        chart.labels.append(Label(left + slot * index + slot / 2, bottom + 18, name))
        stack = 0.0
        for position, (series_name, values) in enumerate(series):
            value = values[index]
            fill = PALETTE[position % len(PALETTE)]
            if stacked:
                if value:
                    h = value * scale
                    chart.bars.append(
                        Bar(
                            x0,
                            bottom - stack - h,
                            column,
                            h,
                            fill,
                            f"{series_name}, {name}: {value}",
                        )
                    )
                    stack += value * scale
            else:
                w = column / max(1, len(series))
                h = value * scale
                chart.bars.append(
                    Bar(
                        x0 + w * position,
                        bottom - h,
                        w * 0.92,
                        h,
                        fill,
                        f"{series_name}, {name}: {value}",
                    )
                )
    chart.legend = [(PALETTE[i % len(PALETTE)], name) for i, (name, _) in enumerate(series)]
    return chart


def progress_rows(
    rows: Sequence[tuple[str, int, int]],
    *,
    width: int = 720,
    row_height: int = 26,
    label_width: int = 190,
) -> Chart:
    """One horizontal bar per row: the whole (``due``) in grey, the part (``done``) over it."""
    left, right, top = label_width, width - 60, 8
    height = top + row_height * max(1, len(rows)) + 8
    chart = Chart(width, height, plot_left=left, plot_right=right, baseline=height - 8)
    maximum = max((due for _, due, _ in rows), default=0) or 1
    scale = (right - left) / maximum
    for index, (name, due, done) in enumerate(rows):
        y = top + row_height * index
        chart.labels.append(Label(left - 8, y + row_height * 0.62, name, "end"))
        chart.bars.append(
            Bar(left, y + 4, due * scale, row_height - 10, MUTED, f"{name}: cần xác nhận {due}")
        )
        if done:
            chart.bars.append(
                Bar(
                    left,
                    y + 4,
                    done * scale,
                    row_height - 10,
                    PALETTE[2],
                    f"{name}: đã xác nhận {done}",
                )
            )
        chart.labels.append(
            Label(left + due * scale + 6, y + row_height * 0.62, f"{done}/{due}", "start")
        )
    chart.legend = [(PALETTE[2], "Đã xác nhận"), (MUTED, "Cần xác nhận")]
    return chart
