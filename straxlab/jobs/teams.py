"""The design teams' job: remind members of their lab day the afternoon before."""

from __future__ import annotations

from datetime import datetime, timedelta

from straxlab.auth.models import User
from straxlab.design_teams import reminders
from straxlab.design_teams.models import DesignDay
from straxlab.extensions import db
from straxlab.jobs import rules
from straxlab.jobs.common import queue_new
from straxlab.lab_calendar.services import lab_zone


def lab_day_reminders(now: datetime) -> int:
    """Remind every active member of a team with a design day tomorrow (from 15:00 today
    until the day starts), in their own language."""
    zone = lab_zone()
    today = rules.local_date(now, zone)
    days = [
        design_day
        for design_day in reminders.scheduled_days(
            [today, today + timedelta(days=1)], starting_after=now
        )
        if rules.lab_day_reminder_due(design_day.day, design_day.starts_at, now, zone)
    ]
    members = reminders.members_of(days)
    due: list[tuple[tuple[DesignDay, User], str]] = [
        ((design_day, member), rules.lab_day_key(design_day.id, member.id, design_day.day))
        for design_day in days
        for member in members.get(design_day.id, [])
    ]
    count = queue_new(
        due, lambda pair, key: reminders.lab_day_reminder(pair[0], pair[1], key=key, now=now)
    )
    db.session.commit()
    return count
