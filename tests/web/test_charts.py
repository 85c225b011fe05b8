"""The SVG charts: well-formed, accessible, and drawn to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tending.web.charts import HeatRow, Series, bar_chart, heatmap, line_chart, nice_max

NS = {"svg": "http://www.w3.org/2000/svg"}


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (3, 3), (7, 8), (10, 10), (11, 15), (260, 300)]
)
def test_axis_ends_are_round(value: float, expected: float) -> None:
    assert nice_max(value) == expected


def test_ticks_are_whole_round_steps() -> None:
    svg = ET.fromstring(str(bar_chart([Series("n", [7])], ["w"], title="t")))
    ticks = [
        t.text
        for t in svg.iter("{http://www.w3.org/2000/svg}text")
        if t.get("text-anchor") == "end"
    ]
    assert ticks == ["0", "2", "4", "6", "8"]


def test_bars_are_drawn_to_scale_and_titled() -> None:
    svg = ET.fromstring(
        str(bar_chart([Series("New <members>", [2, 4, 0])], ["a", "b", "c"], title="Joins & more"))
    )
    assert svg.get("role") == "img"
    assert svg.find("svg:title", NS).text == "Joins & more"  # type: ignore[union-attr]
    heights = [float(r.get("height", 0)) for r in svg.iter("{http://www.w3.org/2000/svg}rect")]
    assert heights[1] == pytest.approx(2 * heights[0]) and heights[2] == 0
    assert "New <members>: 4" in ET.tostring(svg, encoding="unicode").replace("&lt;", "<").replace(
        "&gt;", ">"
    )


def test_stacked_bars_add_up() -> None:
    svg = ET.fromstring(
        str(bar_chart([Series("members", [3]), Series("staff", [1])], ["w1"], title="t"))
    )
    bars = [
        r for r in svg.iter("{http://www.w3.org/2000/svg}rect") if "bar" in (r.get("class") or "")
    ][:2]
    assert float(bars[0].get("height", 0)) == pytest.approx(3 * float(bars[1].get("height", 0)))
    assert float(bars[1].get("y", 0)) + float(bars[1].get("height", 0)) == pytest.approx(
        float(bars[0].get("y", 0))
    )


def test_a_line_has_one_point_per_day() -> None:
    svg = ET.fromstring(
        str(line_chart([Series("posts", [0, 5, 10])], ["d1", "d2", "d3"], title="t"))
    )
    line = next(svg.iter("{http://www.w3.org/2000/svg}polyline"))
    ys = [float(p.split(",")[1]) for p in (line.get("points") or "").split()]
    assert ys[0] > ys[1] > ys[2] and ys[0] - ys[1] == pytest.approx(ys[1] - ys[2])


def test_the_heatmap_leaves_future_months_empty() -> None:
    svg = ET.fromstring(
        str(
            heatmap(
                [HeatRow("Jan", 10, [1.0, 0.5]), HeatRow("Feb", 4, [1.0])],
                ["+0", "+1"],
                title="Retention",
            )
        )
    )
    cells = [r.get("class") for r in svg.iter("{http://www.w3.org/2000/svg}rect")]
    assert cells == ["heat heat-9", "heat heat-5", "heat heat-9"]


def test_todays_partial_day_is_dashed_and_named_not_a_plunge() -> None:
    """Issue "a volunteer admin's first week": charts ended with a plunge to zero for today's partial day."""
    svg = ET.fromstring(
        str(
            line_chart(
                [Series("posts", [8, 9, 1])],
                ["d1", "d2", "today"],
                title="t",
                partial="today so far",
            )
        )
    )
    whole, unfinished = list(svg.iter("{http://www.w3.org/2000/svg}polyline"))
    assert len((whole.get("points") or "").split()) == 2 and "partial" not in (
        whole.get("class") or ""
    )
    assert unfinished.get("class") == "line partial series-0"
    assert len((unfinished.get("points") or "").split()) == 2
    notes = [
        t.text
        for t in svg.iter("{http://www.w3.org/2000/svg}text")
        if "partial-note" in (t.get("class") or "")
    ]
    assert notes == ["today so far"]


def test_this_weeks_bar_is_marked_unfinished() -> None:
    svg = ET.fromstring(
        str(
            bar_chart(
                [Series("joins", [4, 5, 1])],
                ["w1", "w2", "w3"],
                title="t",
                partial="this week so far",
            )
        )
    )
    groups = [
        g for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.find("svg:rect", NS) is not None
    ]
    assert [g.get("class") for g in groups] == [None, None, "partial"]
    assert groups[2].find("svg:title", NS).text == "w3 (this week so far) — joins: 1"  # type: ignore[union-attr]
    unmarked = ET.fromstring(
        str(bar_chart([Series("joins", [4, 5, 1])], ["w1", "w2", "w3"], title="t"))
    )
    assert not [
        t
        for t in unmarked.iter("{http://www.w3.org/2000/svg}text")
        if "partial" in (t.get("class") or "")
    ]


def _titles(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}title")]


def _ticks(svg: str) -> list[str]:
    return [
        t.text or ""
        for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")
        if t.get("text-anchor") == "end"
    ]


def test_a_french_chart_writes_its_figures_as_french_does() -> None:
    """Ticks and tooltips read "1,234" and "0.5" in English; a French page wrote them the same, and
    "Membres: 3" without the space French puts before a colon."""
    joins = [Series("Membres", [1234, 0.5])]
    english = str(bar_chart(joins, ["a", "b"], title="t"))
    french = str(bar_chart(joins, ["a", "b"], title="t", language="fr"))
    assert _titles(english)[1:] == ["a — Membres: 1,234", "b — Membres: 0.5"]
    assert _titles(french)[1:] == ["a — Membres\u00a0: 1\u202f234", "b — Membres\u00a0: 0,5"]
    assert _ticks(english) == ["0", "500", "1,000", "1,500"]
    assert _ticks(french) == ["0", "500", "1\u202f000", "1\u202f500"]
    today = str(
        line_chart(
            [Series("Réactions", [2, 1.5])], ["a", "b"], title="t", partial="auj.", language="fr"
        )
    )
    assert "Réactions, auj.\u00a0: 1,5" in _titles(today)
    cohort = str(heatmap([HeatRow("oct. 2026", 1200, [0.5])], ["+0"], title="t", language="fr"))
    assert "oct. 2026, +0\u00a0: 50\u00a0%" in _titles(cohort)
    assert any(t.text == "oct. 2026 (1\u202f200)" for t in ET.fromstring(cohort).iter())
