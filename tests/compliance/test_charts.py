"""The dashboard's SVG charts: well-formed, escaped, accessible, drawn to scale, no styles.

Pure functions: no app and no database needed (words come out in English, the msgids).
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from straxlab.compliance import charts
from straxlab.compliance.charts import AttendanceBar, TrendCell, WeekCounts
from straxlab.compliance.rules import Severity

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 (our own output)


def no_styles(markup: str) -> None:
    assert "style" not in str(markup)
    assert "<script" not in str(markup)


def test_the_element_builder_escapes_text_and_attributes():
    built = charts.element("text", 'a <b> & "c"', x=1.5, class_="x'y", aria_hidden="true")
    assert str(built) == (
        '<text x="1.5" class="x&#39;y" aria-hidden="true">a &lt;b&gt; &amp; &#34;c&#34;</text>'
    )
    assert str(charts.element("rect", width=10.0, height=2.125)) == (
        '<rect width="10" height="2.12" />'
    )


def bars() -> list[AttendanceBar]:
    return [
        AttendanceBar("Low <team> & co", 40),
        AttendanceBar("Exactly", 75),
        AttendanceBar("Full", 100),
        AttendanceBar("A very long team name that goes on and on", 90),
        AttendanceBar("New team", None),
    ]


def test_attendance_chart_is_an_accessible_image():
    markup = charts.attendance_chart(bars(), threshold=75, chart_id="att")
    svg = parse(markup)
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "att-title att-desc"
    assert svg.find(f"{SVG}title").get("id") == "att-title"
    assert svg.find(f"{SVG}title").text == "Lowest attendance of a member, per team"
    desc = svg.find(f"{SVG}desc")
    assert desc.get("id") == "att-desc"
    assert "minimum of 75% each member must reach; 1 of 4 teams with design days held" in desc.text
    no_styles(markup)


def test_attendance_bars_are_to_scale_and_low_ones_are_crossed():
    svg = parse(charts.attendance_chart(bars(), threshold=75, chart_id="att"))
    rows = [g for g in svg.findall(f"{SVG}g") if g.get("class") == "chart-row"]
    assert len(rows) == 5
    widths = {}
    for row in rows:
        title = row.find(f"{SVG}title").text
        rect = row.find(f"{SVG}rect")
        widths[title.split(":")[0]] = (
            float(rect.get("width")) if rect is not None else None,
            rect.get("class") if rect is not None else None,
        )
    plot = charts.BAR_WIDTH - charts.BAR_LABEL - charts.BAR_VALUE
    assert widths["Full"] == (plot, "chart-bar chart-bar--ok")
    assert widths["Exactly"] == (pytest.approx(plot * 0.75), "chart-bar chart-bar--ok")
    assert widths["Low <team> & co"] == (pytest.approx(plot * 0.4), "chart-bar chart-bar--low")
    assert widths["New team"] == (None, None)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "40%" in texts and "no design days held yet" in texts
    # Long names are shortened in the picture; the tooltip has them whole.
    assert "A very long team name that…" in texts
    tooltips = [t.text for t in svg.iter(f"{SVG}title")]
    assert "A very long team name that goes on and on: 90%" in tooltips
    assert "Low <team> & co: 40%, below the minimum of 75%" in tooltips


@pytest.mark.parametrize("threshold", [0, 60, 75, 100])
def test_the_threshold_line_sits_at_the_threshold_and_is_labelled(threshold):
    svg = parse(charts.attendance_chart(bars(), threshold=threshold, chart_id="att"))
    (line,) = [x for x in svg.iter(f"{SVG}line") if x.get("class") == "chart-threshold"]
    plot = charts.BAR_WIDTH - charts.BAR_LABEL - charts.BAR_VALUE
    expected = charts.BAR_LABEL + plot * threshold / 100
    assert float(line.get("x1")) == pytest.approx(expected, abs=0.01)
    assert line.get("x1") == line.get("x2")
    label = next(t for t in svg.iter(f"{SVG}text") if t.text == f"Minimum {threshold}%")
    assert float(label.get("x")) == pytest.approx(expected, abs=0.01)


def test_an_empty_attendance_chart_says_so():
    svg = parse(charts.attendance_chart([], threshold=75, chart_id="att"))
    assert "No teams to show." in [t.text for t in svg.iter(f"{SVG}text")]


def weeks() -> list[WeekCounts]:
    return [
        WeekCounts(2026, 52, {Severity.GREEN: 2, Severity.AMBER: 1, Severity.RED: 1}),
        WeekCounts(2026, 53, {}),
        WeekCounts(2027, 1, {Severity.GREEN: 4}),
    ]


def test_the_status_chart_stacks_counts_to_scale_with_patterns_and_words():
    markup = charts.status_chart(weeks(), chart_id="st")
    svg = parse(markup)
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "st-title st-desc"
    desc = svg.find(f"{SVG}desc").text
    assert "from week 52 of 2026 to week 1 of 2027" in desc
    columns = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "chart-week"]
    assert len(columns) == 3
    plot = charts.WEEK_HEIGHT - charts.WEEK_TOP - charts.WEEK_BOTTOM
    first = {
        r.get("class").split("--")[1]: float(r.get("height")) for r in columns[0].iter(f"{SVG}rect")
    }
    # Four teams at most in a week: two green fill half the height.
    assert first == pytest.approx({"green": plot / 2, "amber": plot / 4, "red": plot / 4})
    # Stacked: green at the bottom, red on top, touching.
    rects = list(columns[0].iter(f"{SVG}rect"))
    for lower, upper in itertools.pairwise(rects):
        assert float(upper.get("y")) + float(upper.get("height")) == pytest.approx(
            float(lower.get("y"))
        )
    assert columns[0].find(f"{SVG}title").text == (
        "Week 52 of 2026: On track 2, Needs attention 1, Not on track 1"
    )
    assert columns[1].find(f"{SVG}title").text == "Week 53 of 2026: no snapshot"
    assert list(columns[1].iter(f"{SVG}rect")) == []
    # A legend names each pattern.
    legend = [t.text for g in svg.iter(f"{SVG}g") if g.get("class") == "chart-legend" for t in g]
    assert {"On track", "Needs attention", "Not on track"} <= set(legend)
    no_styles(markup)


def test_patterns_are_defined_once_and_used_by_amber_and_red():
    defs = parse(charts.pattern_defs())
    ids = {p.get("id") for p in defs.iter(f"{SVG}pattern")}
    assert ids == {"chart-hatch", "chart-cross"}
    assert defs.get("aria-hidden") == "true"
    css = (ROOT / "static/css/straxlab.css").read_text(encoding="utf-8")
    assert re.search(r"\.chart-segment--amber \{ fill: url\(#chart-hatch\); \}", css)
    assert re.search(r"\.chart-segment--red \{ fill: url\(#chart-cross\); \}", css)
    assert ".trend-square--red { fill: url(#chart-cross);" in css


def test_trend_squares_carry_a_title_each_and_a_summary_in_words():
    cells = [
        TrendCell(2026, 46, Severity.GREEN),
        TrendCell(2026, 47, Severity.AMBER),
        TrendCell(2026, 48, None),
        TrendCell(2026, 49, Severity.RED),
    ]
    markup = charts.trend_squares(cells)
    svg = parse(markup)
    assert svg.get("aria-hidden") == "true"
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert titles == [
        "Week 46: On track",
        "Week 47: Needs attention",
        "Week 48: no snapshot",
        "Week 49: Not on track",
    ]
    kinds = [r.get("class") for r in svg.iter(f"{SVG}rect")]
    assert kinds == [
        "trend-square trend-square--green",
        "trend-square trend-square--amber",
        "trend-square trend-square--none",
        "trend-square trend-square--red",
    ]
    assert charts.trend_summary(cells) == "; ".join(titles)
    no_styles(markup)
