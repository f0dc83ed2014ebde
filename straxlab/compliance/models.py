"""Professionalisation plans, milestones, the progress log, lesson scenarios and snapshots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from straxlab.auth.models import User
from straxlab.compliance.rules import ActivityKind, PlanOutcome, PlanStatus, Severity
from straxlab.core.db import enum_type
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import Model


class ProfessionalisationPlan(Model):
    """A team's plan (one per team): the working copy the team edits.

    Each submission freezes the working copy into a :class:`PlanVersion`, so a manager
    always judges, and can compare, exactly what was submitted.
    """

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    team_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("design_team.id"), unique=True)
    status: so.Mapped[PlanStatus] = so.mapped_column(
        enum_type(PlanStatus, "plan_status"), default=PlanStatus.DRAFT
    )
    goals: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Who does what: the collaboration agreements.
    collaboration: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    intended_scenarios: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Set at the first approval and kept: the compliance rule asks when the plan was approved.
    first_approved_at: so.Mapped[datetime | None]
    updated_at: so.Mapped[datetime]
    updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))

    team: so.Mapped[DesignTeam] = so.relationship(lazy="joined")
    activities: so.Mapped[list[PlanActivity]] = so.relationship(
        order_by="PlanActivity.position",
        cascade="all, delete-orphan",
        back_populates="plan",
    )

    def __repr__(self) -> str:
        return f"<ProfessionalisationPlan {self.id} team {self.team_id} {self.status.value}>"


class PlanActivity(Model):
    """A professionalisation activity of the plan: a workshop, peer observation, a tool tried."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    plan_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("professionalisation_plan.id"), index=True
    )
    position: so.Mapped[int]
    kind: so.Mapped[ActivityKind] = so.mapped_column(enum_type(ActivityKind, "activity_kind"))
    description: so.Mapped[str] = so.mapped_column(sa.String(300))
    # Who takes part or leads it (free text: "Anna and Bram").
    who: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    planned_hours: so.Mapped[int]

    plan: so.Mapped[ProfessionalisationPlan] = so.relationship(back_populates="activities")

    __table_args__ = (sa.CheckConstraint("planned_hours >= 0", name="planned_hours_not_negative"),)

    def __repr__(self) -> str:
        return f"<PlanActivity {self.id} {self.kind.value} {self.planned_hours}h>"


class PlanVersion(Model):
    """One submitted version of a plan, frozen, with what the manager decided about it."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    plan_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("professionalisation_plan.id"))
    number: so.Mapped[int]
    # goals, collaboration, intended_scenarios, activities: as submitted.
    content: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
    submitted_at: so.Mapped[datetime]
    submitted_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"))
    outcome: so.Mapped[PlanOutcome] = so.mapped_column(
        enum_type(PlanOutcome, "plan_outcome"), default=PlanOutcome.PENDING
    )
    decided_at: so.Mapped[datetime | None]
    decided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    comment: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    submitted_by: so.Mapped[User] = so.relationship(foreign_keys=[submitted_by_id])
    decided_by: so.Mapped[User | None] = so.relationship(foreign_keys=[decided_by_id])

    __table_args__ = (sa.UniqueConstraint("plan_id", "number"),)

    def __repr__(self) -> str:
        return f"<PlanVersion {self.plan_id}#{self.number} {self.outcome.value}>"


class Milestone(Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    plan_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("professionalisation_plan.id"), index=True
    )
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    due_on: so.Mapped[date]
    done_on: so.Mapped[date | None]
    # A link to the evidence, or a note saying where it is.
    evidence: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime]
    updated_at: so.Mapped[datetime]

    plan: so.Mapped[ProfessionalisationPlan] = so.relationship()

    def __repr__(self) -> str:
        return f"<Milestone {self.id} {self.title!r} due {self.due_on}>"


class ProgressEntry(Model):
    """One dated entry in the team's log (logboek)."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    team_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("design_team.id"))
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    written_on: so.Mapped[date]
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime]
    updated_at: so.Mapped[datetime]

    author: so.Mapped[User] = so.relationship(lazy="joined")

    __table_args__ = (sa.Index("ix_progress_entry_team", "team_id", "written_on"),)

    def __repr__(self) -> str:
        return f"<ProgressEntry {self.id} team {self.team_id} {self.written_on}>"


class LessonScenario(Model):
    """A lesson the team built; delivered and used in a regular course, it closes the loop."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    team_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("design_team.id"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    summary: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # The regular course (and cohort) the lesson is used in.
    course: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    cohort: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    link: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    delivered_on: so.Mapped[date | None]
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime]
    updated_at: so.Mapped[datetime]

    def __repr__(self) -> str:
        return f"<LessonScenario {self.id} {self.title!r}>"


class ComplianceSnapshot(Model):
    """A team's status and findings in one ISO week, kept for the trend."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    team_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("design_team.id"))
    iso_year: so.Mapped[int]
    iso_week: so.Mapped[int]
    # The local date the team was assessed on.
    assessed_on: so.Mapped[date]
    computed_at: so.Mapped[datetime]
    status: so.Mapped[Severity] = so.mapped_column(enum_type(Severity, "compliance_status"))
    findings: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON)

    __table_args__ = (
        # One snapshot per team per week: a second run in the same week changes nothing.
        sa.UniqueConstraint("team_id", "iso_year", "iso_week"),
        sa.Index("ix_compliance_snapshot_week", "iso_year", "iso_week"),
    )

    def __repr__(self) -> str:
        return f"<ComplianceSnapshot team {self.team_id} {self.iso_year}-W{self.iso_week}>"
