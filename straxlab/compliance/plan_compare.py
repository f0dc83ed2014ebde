"""A plan's content as the pages show it, and the line-by-line comparison of two versions.

A version stores its content as JSON (``services.plan_content``); it is read back here
defensively, because a version is kept for years and outlives the code that wrote it.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from straxlab.compliance.labels import ACTIVITY_LABELS
from straxlab.compliance.rules import ActivityKind

# The parts of a plan in the order the pages show them, with their headings.
PARTS: tuple[tuple[str, Any], ...] = (
    ("goals", _l("Goals")),
    ("collaboration", _l("Collaboration agreements")),
    ("intended_scenarios", _l("Intended lesson scenarios")),
    ("activities", _l("Professionalisation activities")),
)


@dataclass(frozen=True)
class ActivityRow:
    kind: str
    description: str
    who: str
    planned_hours: int

    @property
    def kind_label(self) -> str:
        try:
            return str(ACTIVITY_LABELS[ActivityKind(self.kind)])
        except ValueError:
            return self.kind

    def as_line(self) -> str:
        """The activity as one line of the comparison."""
        return str(
            _(
                "%(kind)s: %(description)s (who: %(who)s; %(hours)s planned hours)",
                kind=self.kind_label,
                description=self.description,
                who=self.who or "–",
                hours=self.planned_hours,
            )
        )


@dataclass(frozen=True)
class PlanContent:
    goals: str
    collaboration: str
    intended_scenarios: str
    activities: tuple[ActivityRow, ...]

    @property
    def total_hours(self) -> int:
        return sum(activity.planned_hours for activity in self.activities)

    def lines(self, part: str) -> list[str]:
        """The part as lines to compare; blank lines only separate paragraphs."""
        if part == "activities":
            return [activity.as_line() for activity in self.activities]
        text: str = getattr(self, part)
        return [line for line in text.split("\n") if line.strip()]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _hours(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def content_from_json(raw: Any) -> PlanContent:
    """A stored version's content; missing or odd values read as empty, never as an error."""
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    items = data.get("activities")
    activities = tuple(
        ActivityRow(
            kind=_text(item.get("kind")),
            description=_text(item.get("description")),
            who=_text(item.get("who")),
            planned_hours=_hours(item.get("planned_hours")),
        )
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, Mapping)
    )
    return PlanContent(
        goals=_text(data.get("goals")),
        collaboration=_text(data.get("collaboration")),
        intended_scenarios=_text(data.get("intended_scenarios")),
        activities=activities,
    )


class Change(enum.StrEnum):
    SAME = "same"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class DiffLine:
    change: Change
    text: str


@dataclass(frozen=True)
class PartDiff:
    part: str
    heading: Any
    lines: list[DiffLine]

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.change is Change.ADDED)

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.change is Change.REMOVED)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def diff_lines(old: Sequence[str], new: Sequence[str]) -> list[DiffLine]:
    """The lines of both, in reading order: a replaced line shows as removed, then added."""
    result: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, old_from, old_to, new_from, new_to in matcher.get_opcodes():
        if tag == "equal":
            result.extend(DiffLine(Change.SAME, line) for line in old[old_from:old_to])
            continue
        result.extend(DiffLine(Change.REMOVED, line) for line in old[old_from:old_to])
        result.extend(DiffLine(Change.ADDED, line) for line in new[new_from:new_to])
    return result


def compare(old: PlanContent, new: PlanContent) -> list[PartDiff]:
    """Every part of the plan, compared line by line."""
    return [
        PartDiff(part, heading, diff_lines(old.lines(part), new.lines(part)))
        for part, heading in PARTS
    ]
