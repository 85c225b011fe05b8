"""Charts drawn on the server as SVG: a line chart, a (stacked) bar chart, and a heatmap.

No JavaScript and nothing copied: plain SVG elements whose colours come from the stylesheet (classes
series-0, series-1 ...), so they follow the light or dark theme and print well. Every chart is an
<svg role="img"> with a <title> and a <desc>; the page also gives the same figures as a table.
Numbers read as the page's language writes them (axis ticks and tooltips: 1,234 and 0.5 in English,
1 234 and 0,5 in French, with French spacing before a tooltip's colon).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from babel import Locale
from babel.numbers import format_percent, get_decimal_symbol, get_group_symbol
from markupsafe import Markup, escape

WIDTH = 720
HEIGHT = 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 12, 12, 36


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float]


def nice_step(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is >= value, and at least 1 (counts are whole)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def nice_max(value: float, ticks: int = 4) -> float:
    """A round top for an axis with at most `ticks` whole, round steps above zero."""
    step = nice_step(value / ticks)
    return step * max(1, math.ceil(value / step))


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@cache
def _symbols(language: str) -> tuple[str, str, str]:
    """The language's digit group and decimal signs, and what goes before a colon (a no-break space in
    French)."""
    locale = Locale.parse(language)
    colon = "\u00a0:" if language == "fr" else ":"
    return get_group_symbol(locale=locale), get_decimal_symbol(locale=locale), colon


def number(value: float, language: str = "en") -> str:
    """A figure as a reader of `language` writes it, to one decimal at most: 1,234 / 0.5; 1 234 / 0,5."""
    group, decimal, _ = _symbols(language)
    text = f"{value:,.1f}".removesuffix(".0")
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


def _named(name: str, shown: str, language: str) -> str:
    """A tooltip's "name: figure", spaced as the language does."""
    return f"{name}{_symbols(language)[2]} {shown}"


def _frame(
    title: str,
    desc: str,
    body: list[str],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
    css: str = "chart",
) -> Markup:
    head = (
        f'<svg class="{css}" viewBox="0 0 {width} {height}" role="img" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title><desc>{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _axes(
    top: float,
    x_labels: Sequence[str],
    *,
    width: int,
    height: int,
    label_every: int,
    language: str = "en",
) -> list[str]:
    parts = []
    plot_h = height - PAD_TOP - PAD_BOTTOM
    step = nice_step(top / 4)
    steps = round(top / step)
    for i in range(steps + 1):
        value = step * i
        y = PAD_TOP + plot_h - plot_h * value / top
        parts.append(
            f'<line class="grid" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{_fmt(y)}" y2="{_fmt(y)}"/>'
        )
        parts.append(
            f'<text class="tick" x="{PAD_LEFT - 6}" y="{_fmt(y + 4)}" text-anchor="end">'
            f"{escape(number(value, language))}</text>"
        )
    count = len(x_labels)
    plot_w = width - PAD_LEFT - PAD_RIGHT
    for i, label in enumerate(x_labels):
        if i % label_every and i != count - 1:
            continue
        if i == count - 1 and i % label_every and i % label_every < label_every / 2:
            continue  # too close to the previous label
        x = PAD_LEFT + plot_w * (i + 0.5) / max(count, 1)
        parts.append(
            f'<text class="tick" x="{_fmt(x)}" y="{height - PAD_BOTTOM + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    return parts


def _label_every(count: int, width: int) -> int:
    room = max(2, width // 80)  # a short date label needs about 80 units
    return max(1, math.ceil(count / room))


def line_chart(
    series: Sequence[Series],
    x_labels: Sequence[str],
    *,
    title: str,
    desc: str = "",
    width: int = WIDTH,
    height: int = HEIGHT,
    partial: str | None = None,
    language: str = "en",
) -> Markup:
    """Lines. `partial` (e.g. "today so far") says the last point is an unfinished period: it is drawn
    dashed and named, so today's morning does not read as a plunge to zero."""
    top = nice_max(max((max(s.values, default=0) for s in series), default=0))
    plot_w = width - PAD_LEFT - PAD_RIGHT
    plot_h = height - PAD_TOP - PAD_BOTTOM
    count = len(x_labels)
    every = _label_every(count, width)
    body = _axes(top, x_labels, width=width, height=height, label_every=every, language=language)
    for index, s in enumerate(series):
        points = [
            f"{_fmt(PAD_LEFT + plot_w * (i + 0.5) / max(count, 1))},{_fmt(PAD_TOP + plot_h - plot_h * v / top)}"
            for i, v in enumerate(s.values)
        ]
        whole = points[:-1] if partial and len(points) > 1 else points
        body.append(
            f'<polyline class="line series-{index}" fill="none" points="{" ".join(whole)}">'
            f"<title>{escape(s.name)}</title></polyline>"
        )
        if whole is not points:
            last = _named(f"{s.name}, {partial}", number(s.values[-1], language), language)
            body.append(
                f'<polyline class="line partial series-{index}" fill="none" points="{" ".join(points[-2:])}">'
                f"<title>{escape(last)}</title></polyline>"
            )
    if partial and count:
        body.append(_partial_mark(PAD_LEFT + plot_w * (count - 0.5) / count, partial))
    body.append(_legend(series, height=height))
    return _frame(title, desc, body, width=width, height=height)


def _partial_mark(x: float, label: str) -> str:
    """A short note above the unfinished period's slot, anchored so it stays inside the chart."""
    return (
        f'<text class="tick partial-note" x="{_fmt(x)}" y="{PAD_TOP + 10}" text-anchor="end">'
        f"{escape(label)}</text>"
    )


def bar_chart(
    series: Sequence[Series],
    x_labels: Sequence[str],
    *,
    title: str,
    desc: str = "",
    width: int = WIDTH,
    height: int = HEIGHT,
    partial: str | None = None,
    language: str = "en",
) -> Markup:
    """Bars, stacked when there are several series (each bar's title gives its exact figures). `partial`
    (e.g. "this week so far") marks the last bar as an unfinished period: lighter, and named."""
    count = len(x_labels)
    totals = [sum(s.values[i] for s in series) for i in range(count)]
    top = nice_max(max(totals, default=0))
    plot_w = width - PAD_LEFT - PAD_RIGHT
    plot_h = height - PAD_TOP - PAD_BOTTOM
    slot = plot_w / max(count, 1)
    bar_w = max(1.0, slot * 0.7)
    every = _label_every(count, width)
    body = _axes(top, x_labels, width=width, height=height, label_every=every, language=language)
    for i, label in enumerate(x_labels):
        base = float(PAD_TOP + plot_h)
        x = PAD_LEFT + slot * i + (slot - bar_w) / 2
        detail = ", ".join(_named(s.name, number(s.values[i], language), language) for s in series)
        unfinished = bool(partial) and i == count - 1
        note = f" ({partial})" if unfinished else ""
        group = '<g class="partial">' if unfinished else "<g>"
        body.append(f"{group}<title>{escape(label)}{escape(note)} — {escape(detail)}</title>")
        for index, s in enumerate(series):
            h = plot_h * s.values[i] / top
            base -= h
            body.append(
                f'<rect class="bar series-{index}" x="{_fmt(x)}" y="{_fmt(base)}" '
                f'width="{_fmt(bar_w)}" height="{_fmt(h)}"/>'
            )
        body.append("</g>")
    if partial and count:
        body.append(_partial_mark(PAD_LEFT + slot * count, partial))
    if len(series) > 1:
        body.append(_legend(series, height=height))
    return _frame(title, desc, body, width=width, height=height)


def _legend(series: Sequence[Series], *, height: int) -> str:
    parts = ['<g class="legend">']
    x = PAD_LEFT
    for index, s in enumerate(series):
        parts.append(
            f'<rect class="bar series-{index}" x="{x}" y="{height - 14}" width="10" height="10"/>'
            f'<text class="tick" x="{x + 14}" y="{height - 5}">{escape(s.name)}</text>'
        )
        x += 24 + 8 * len(s.name)
    parts.append("</g>")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class HeatRow:
    label: str
    size: int
    shares: Sequence[float | None]  # None: month not reached yet


def heatmap(
    rows: Sequence[HeatRow],
    col_labels: Sequence[str],
    *,
    title: str,
    desc: str = "",
    cell: int = 36,
    language: str = "en",
) -> Markup:
    """A cohort triangle: one row per cohort, one column per month since joining; darker is higher."""
    left, top_pad = 150, 24
    width = left + cell * len(col_labels) + 8
    height = top_pad + cell * len(rows) + 8
    body = []
    for j, label in enumerate(col_labels):
        body.append(
            f'<text class="tick" x="{left + cell * j + cell / 2:.0f}" y="16" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for i, row in enumerate(rows):
        y = top_pad + cell * i
        body.append(
            f'<text class="tick" x="{left - 8}" y="{y + cell / 2 + 4:.0f}" text-anchor="end">'
            f"{escape(row.label)} ({escape(number(row.size, language))})</text>"
        )
        for j, share in enumerate(row.shares):
            if share is None or not row.size:
                continue
            level = min(9, int(share * 10))
            percent = format_percent(share, locale=language)
            x = left + cell * j
            body.append(
                f"<g><title>{escape(_named(f'{row.label}, +{j}', percent, language))}</title>"
                f'<rect class="heat heat-{level}" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}"/>'
                f'<text class="heat-label{" light" if level >= 5 else ""}" x="{x + (cell - 2) / 2:.0f}" '
                f'y="{y + cell / 2 + 3:.0f}" text-anchor="middle">{share * 100:.0f}</text></g>'
            )
    return _frame(title, desc, body, width=width, height=height, css="chart heatmap")
