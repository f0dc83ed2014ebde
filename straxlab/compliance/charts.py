"""The dashboard's charts, drawn on the server as inline SVG.

Pure functions: data in, an SVG string out, no database and no chart library. Every piece of
text goes through :func:`markupsafe.escape`, so a team called ``<b>&co`` stays text (and the
SVG stays well-formed XML). The Content-Security-Policy forbids inline styles, so the SVG
carries no ``style`` attributes: its look comes from classes in ``static/css/straxlab.css``
(block "Compliance dashboard and reports"), which reuse the ok/warn/bad colours.

Colour never stands alone: the statuses also differ in pattern (solid, hatched, crossed),
every chart has a ``<title>``/``<desc>`` and a data table beside it on the page, and the
trend squares carry a ``<title>`` each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from straxlab.compliance.labels import SEVERITY_LABELS
from straxlab.compliance.rules import Severity

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# Page-wide ids of the patterns in :func:`pattern_defs`; the CSS classes fill with them.
PATTERN_IDS = {Severity.AMBER: "chart-hatch", Severity.RED: "chart-cross"}
STATUSES = (Severity.GREEN, Severity.AMBER, Severity.RED)

# Attendance chart geometry, in SVG user units (the SVG scales to its box).
BAR_WIDTH = 720
BAR_LABEL = 210
BAR_VALUE = 110
BAR_ROW = 24
BAR_TOP = 34
BAR_BOTTOM = 26
LABEL_CHARS = 28

# Statuses-over-time geometry.
WEEK_WIDTH = 720
WEEK_HEIGHT = 300
WEEK_LEFT = 40
WEEK_TOP = 16
WEEK_BOTTOM = 64

# One trend square and the gap after it.
SQUARE = 14
SQUARE_GAP = 4


@dataclass(frozen=True)
class AttendanceBar:
    """One team's bar: its attendance over the design days held (None before any)."""

    label: str
    percent: int | None


@dataclass(frozen=True)
class WeekCounts:
    """How many teams had each status in one ISO week's snapshots."""

    year: int
    week: int
    counts: Mapping[Severity, int]

    @property
    def total(self) -> int:
        return sum(self.counts.get(status, 0) for status in STATUSES)


@dataclass(frozen=True)
class TrendCell:
    """A team's snapshot status in one ISO week (None: no snapshot that week)."""

    year: int
    week: int
    status: Severity | None


def _number(value: float) -> str:
    """A coordinate, short: 12 rather than 12.0, at most two decimals."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _attrs(attrs: Mapping[str, object]) -> Markup:
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        # Python names: class_ -> class, aria_hidden -> aria-hidden.
        key = name.rstrip("_").replace("_", "-")
        shown = _number(value) if isinstance(value, float) else value
        # Names are this module's own identifiers; format() escapes the values.
        parts.append(Markup(' {}="{}"').format(key, shown))
    return Markup("").join(parts)


def element(tag: str, *children: str | Markup, **attrs: object) -> Markup:
    """``<tag attrs>children</tag>``; plain strings among the children are escaped."""
    inner = Markup("").join(escape(child) for child in children)
    if not children:
        return Markup("<{}{} />").format(tag, _attrs(attrs))
    return Markup("<{}{}>{}</{}>").format(tag, _attrs(attrs), inner, tag)


def _svg(*children: Markup, **attrs: object) -> Markup:
    return element("svg", *children, xmlns=SVG_NAMESPACE, **attrs)


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def status_word(status: Severity) -> str:
    return str(SEVERITY_LABELS[status])


def pattern_defs() -> Markup:
    """The patterns the hatched and crossed fills use; include once per page, before charts.

    Zero-sized rather than ``display: none``: browsers do not paint patterns from an SVG
    that is not rendered.
    """
    hatch = element(
        "pattern",
        element("rect", width=8, height=8, class_="chart-fill--amber"),
        element("path", d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4", class_="chart-pattern-line"),
        id=PATTERN_IDS[Severity.AMBER],
        width=8,
        height=8,
        patternUnits="userSpaceOnUse",
    )
    cross = element(
        "pattern",
        element("rect", width=8, height=8, class_="chart-fill--red"),
        element("path", d="M0,0 l8,8 M8,0 l-8,8", class_="chart-pattern-line"),
        id=PATTERN_IDS[Severity.RED],
        width=8,
        height=8,
        patternUnits="userSpaceOnUse",
    )
    return _svg(
        element("defs", hatch, cross),
        class_="chart-defs",
        width=0,
        height=0,
        aria_hidden="true",
        focusable="false",
    )


# --- attendance per team ------------------------------------------------------------------


def attendance_chart(bars: Sequence[AttendanceBar], *, threshold: int, chart_id: str) -> Markup:
    """Horizontal bars of attendance per team, with the minimum drawn as a labelled line.

    Bars below the minimum are crossed as well as red; a team without held days gets no
    bar but the words "no design days held yet".
    """
    plot = BAR_WIDTH - BAR_LABEL - BAR_VALUE
    height = BAR_TOP + max(len(bars), 1) * BAR_ROW + BAR_BOTTOM
    bottom = height - BAR_BOTTOM

    def x_of(percent: float) -> float:
        return BAR_LABEL + plot * min(max(percent, 0), 100) / 100

    counted = [bar for bar in bars if bar.percent is not None]
    below = sum(1 for bar in counted if bar.percent is not None and bar.percent < threshold)
    title = _("Lowest attendance of a member, per team")
    desc = _(
        "Horizontal bars: per team, the attendance of the member who attended least, as a "
        "percentage of the design days held. The dashed line marks the minimum of "
        "%(threshold)s%% each member must reach; %(below)s of %(counted)s teams with design "
        "days held are below it (crossed bars).",
        threshold=threshold,
        below=below,
        counted=len(counted),
    )
    parts: list[Markup] = [
        element("title", title, id=f"{chart_id}-title"),
        element("desc", desc, id=f"{chart_id}-desc"),
    ]
    for tick in (0, 25, 50, 75, 100):
        x = x_of(tick)
        parts.append(element("line", x1=x, y1=BAR_TOP - 4, x2=x, y2=bottom, class_="chart-grid"))
        parts.append(
            element(
                "text",
                f"{tick}%",
                x=x,
                y=bottom + 16,
                text_anchor="middle",
                class_="chart-text chart-text--small",
            )
        )
    for index, bar in enumerate(bars):
        top = BAR_TOP + index * BAR_ROW
        middle = top + BAR_ROW / 2
        pieces: list[Markup] = []
        if bar.percent is None:
            tooltip = _("%(team)s: no design days held yet", team=bar.label)
            value = _("no design days held yet")
            value_x = BAR_LABEL + 4.0
        else:
            low = bar.percent < threshold
            tooltip = _("%(team)s: %(percent)s%%", team=bar.label, percent=bar.percent)
            if low:
                tooltip = _(
                    "%(team)s: %(percent)s%%, below the minimum of %(threshold)s%%",
                    team=bar.label,
                    percent=bar.percent,
                    threshold=threshold,
                )
            end = x_of(bar.percent)
            pieces.append(
                element(
                    "rect",
                    x=BAR_LABEL,
                    y=top + 4,
                    width=end - BAR_LABEL,
                    height=BAR_ROW - 8,
                    class_="chart-bar chart-bar--low" if low else "chart-bar chart-bar--ok",
                )
            )
            value = f"{bar.percent}%"
            value_x = end + 6
        pieces.insert(0, element("title", tooltip))
        pieces.append(
            element(
                "text",
                _shorten(bar.label),
                x=BAR_LABEL - 8,
                y=middle,
                text_anchor="end",
                dominant_baseline="central",
                class_="chart-text",
            )
        )
        pieces.append(
            element(
                "text",
                value,
                x=value_x,
                y=middle,
                dominant_baseline="central",
                class_="chart-text chart-text--value",
            )
        )
        parts.append(element("g", *pieces, class_="chart-row"))
    if not bars:
        parts.append(
            element(
                "text",
                _("No teams to show."),
                x=BAR_LABEL + 4,
                y=BAR_TOP + BAR_ROW / 2,
                dominant_baseline="central",
                class_="chart-text",
            )
        )
    line_x = x_of(threshold)
    parts.append(
        element("line", x1=line_x, y1=BAR_TOP - 8, x2=line_x, y2=bottom, class_="chart-threshold")
    )
    parts.append(
        element(
            "text",
            _("Minimum %(threshold)s%%", threshold=threshold),
            x=line_x,
            y=BAR_TOP - 14,
            text_anchor="middle",
            class_="chart-text chart-text--threshold",
        )
    )
    return _svg(
        *parts,
        viewBox=f"0 0 {BAR_WIDTH} {height}",
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
        class_="chart chart--bars",
        id=chart_id,
    )


# --- statuses over time -------------------------------------------------------------------


def _legend(y: float) -> Markup:
    items = []
    x = float(WEEK_LEFT)
    for status in STATUSES:
        word = status_word(status)
        items.append(
            element(
                "rect",
                x=x,
                y=y - 6,
                width=12,
                height=12,
                class_=f"chart-segment chart-segment--{status.value}",
            )
        )
        items.append(
            element("text", word, x=x + 18, y=y, dominant_baseline="central", class_="chart-text")
        )
        # Room for the longest of the three words in either language.
        x += 30 + 8.5 * len(word)
    return element("g", *items, class_="chart-legend")


def status_chart(weeks: Sequence[WeekCounts], *, chart_id: str) -> Markup:
    """Per ISO week, the teams' statuses from the weekly snapshots as stacked columns."""
    plot_height = WEEK_HEIGHT - WEEK_TOP - WEEK_BOTTOM
    bottom = WEEK_TOP + plot_height
    slot = (WEEK_WIDTH - WEEK_LEFT) / max(len(weeks), 1)
    column = slot * 0.6
    most = max((week.total for week in weeks), default=0)
    scale_top = max(most, 1)

    def y_of(count: float) -> float:
        return bottom - plot_height * count / scale_top

    title = _("Statuses over time")
    if weeks:
        first, last = weeks[0], weeks[-1]
        desc = _(
            "Stacked columns, one per ISO week from week %(first)s of %(first_year)s to week "
            "%(last)s of %(last_year)s: how many teams were on track (solid), needed attention "
            "(hatched) or were not on track (crossed) in that week's snapshot.",
            first=first.week,
            first_year=first.year,
            last=last.week,
            last_year=last.year,
        )
    else:
        desc = _("No weeks to show.")
    parts: list[Markup] = [
        element("title", title, id=f"{chart_id}-title"),
        element("desc", desc, id=f"{chart_id}-desc"),
    ]
    for tick in sorted({0, scale_top // 2, scale_top}):
        y = y_of(tick)
        parts.append(element("line", x1=WEEK_LEFT, y1=y, x2=WEEK_WIDTH, y2=y, class_="chart-grid"))
        parts.append(
            element(
                "text",
                str(tick),
                x=WEEK_LEFT - 6,
                y=y,
                text_anchor="end",
                dominant_baseline="central",
                class_="chart-text chart-text--small",
            )
        )
    for index, week in enumerate(weeks):
        left = WEEK_LEFT + index * slot + (slot - column) / 2
        centre = left + column / 2
        pieces: list[Markup] = [
            element(
                "title",
                _("Week %(week)s of %(year)s", week=week.week, year=week.year)
                + ": "
                + (
                    ", ".join(
                        f"{status_word(status)} {week.counts.get(status, 0)}" for status in STATUSES
                    )
                    if week.total
                    else _("no snapshot")
                ),
            )
        ]
        stacked = 0
        for status in STATUSES:
            count = week.counts.get(status, 0)
            if not count:
                continue
            top, base = y_of(stacked + count), y_of(stacked)
            pieces.append(
                element(
                    "rect",
                    x=left,
                    y=top,
                    width=column,
                    height=base - top,
                    class_=f"chart-segment chart-segment--{status.value}",
                )
            )
            if base - top >= 16:
                pieces.append(
                    element(
                        "text",
                        str(count),
                        x=centre,
                        y=(top + base) / 2,
                        text_anchor="middle",
                        dominant_baseline="central",
                        class_="chart-text chart-text--inside",
                    )
                )
            stacked += count
        if not week.total:
            pieces.append(
                element(
                    "text",
                    "–",
                    x=centre,
                    y=bottom - 8,
                    text_anchor="middle",
                    class_="chart-text chart-text--small",
                )
            )
        pieces.append(
            element(
                "text",
                f"W{week.week}",
                x=centre,
                y=bottom + 16,
                text_anchor="middle",
                class_="chart-text chart-text--small",
            )
        )
        parts.append(element("g", *pieces, class_="chart-week"))
    parts.append(
        element("line", x1=WEEK_LEFT, y1=bottom, x2=WEEK_WIDTH, y2=bottom, class_="chart-axis")
    )
    parts.append(_legend(WEEK_HEIGHT - 18))
    return _svg(
        *parts,
        viewBox=f"0 0 {WEEK_WIDTH} {WEEK_HEIGHT}",
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
        class_="chart chart--weeks",
        id=chart_id,
    )


# --- a team's trend -----------------------------------------------------------------------


def trend_label(cell: TrendCell) -> str:
    """ "Week 47: Needs attention", or "Week 47: no snapshot"."""
    word = status_word(cell.status) if cell.status is not None else _("no snapshot")
    return str(_("Week %(week)s", week=cell.week)) + ": " + word


def trend_summary(cells: Iterable[TrendCell]) -> str:
    """The trend in words, for readers who do not see the squares."""
    return "; ".join(trend_label(cell) for cell in cells)


def trend_squares(cells: Sequence[TrendCell]) -> Markup:
    """A row of small squares, oldest week first: solid (on track), hatched (needs
    attention), crossed (not on track), an empty outline (no snapshot).

    Decorative for screen readers (the page puts :func:`trend_summary` beside it); each
    square's ``<title>`` is a tooltip for sighted mouse users.
    """
    squares = []
    for index, cell in enumerate(cells):
        x = index * (SQUARE + SQUARE_GAP)
        kind = cell.status.value if cell.status is not None else "none"
        squares.append(
            element(
                "g",
                element("title", trend_label(cell)),
                element(
                    "rect",
                    x=x + 0.5,
                    y=0.5,
                    width=SQUARE - 1,
                    height=SQUARE - 1,
                    class_=f"trend-square trend-square--{kind}",
                ),
            )
        )
    width = max(len(cells) * (SQUARE + SQUARE_GAP) - SQUARE_GAP, 1)
    return _svg(
        *squares,
        viewBox=f"0 0 {width} {SQUARE}",
        width=width,
        height=SQUARE,
        class_="trend",
        aria_hidden="true",
        focusable="false",
    )
