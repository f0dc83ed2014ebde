"""Feed events to iCalendar bytes (RFC 5545), with the icalendar library. Pure: no database,
no Flask.

Every event is one VEVENT with its start and end in UTC (``DTSTART:20260331T070000Z``) and no
RRULE: a weekly lab day is stored one row per day (DESIGN.md, Time) and is written one event
per day, each expanded from the lab's wall clock, so "every Tuesday 09:00" stays at 09:00 in
Amsterdam across both DST changes without any time-zone rules in the file. No TZID is used,
so no VTIMEZONE is needed: the library's ``Timezone.from_tzid`` writes an RDATE-only
VTIMEZONE, which Outlook misreads by an hour (PITFALLS 9); UTC times avoid the problem.
Milestones are all-day events (``DTSTART;VALUE=DATE``), which carry no time zone either.

No METHOD is written: a subscribed feed is not an iTIP message, and without METHOD RFC 5545
lets DTSTAMP be the time the event was last changed, so the bytes (and the ETag) stay the
same until the data changes.

Every text value (SUMMARY, DESCRIPTION, LOCATION, the calendar's name) loses its control
characters but line breaks and tabs (``core.text.printable``): RFC 5545 forbids them in TEXT,
and rows older than the checks on input may still hold some. Only DESCRIPTION keeps its
line breaks; the other values are one line.

Properties are set as the library's value types directly (``vText``, ``vDatetime``), not
through ``Component.add``, which guesses types per call: a feed of 500 events is built in
a fraction of the time the library then takes to serialise it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event
from icalendar.prop import vDate, vDatetime, vDuration, vInt, vText, vUri

from straxlab.core.text import printable
from straxlab.feeds.rules import EventStatus

PRODID = "-//STRAX-lab//straxlab calendar feeds//EN"
# How often a client should fetch the feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One event of a feed, in the words of its reader.

    ``start``/``end`` are UTC instants, or dates for an all-day event (``end`` exclusive).
    ``stamp`` is when the object last changed: DTSTAMP and LAST-MODIFIED.
    """

    uid: str
    sequence: int
    stamp: datetime
    start: datetime | date
    end: datetime | date
    status: EventStatus
    summary: str
    description: str
    url: str
    location: str = ""
    # True for events that do not make the reader busy (a milestone's due date).
    transparent: bool = False


def clean_text(value: str) -> str:
    """``value`` without control characters (RFC 5545, 3.3.11); line breaks and tabs stay.

    Checked first in C (``str.isprintable``), so that clean text, nearly all of it, skips
    the character-by-character pass.
    """
    if value.replace("\n", "").replace("\t", "").isprintable():
        return value
    return printable(value.replace("\r\n", "\n").replace("\r", "\n"))


def _text(value: str) -> vText:
    """A multi-line TEXT value (DESCRIPTION)."""
    return vText(clean_text(value))


def _line(value: str) -> vText:
    """A TEXT value that is one line (SUMMARY, LOCATION, a name): line breaks become spaces."""
    cleaned = clean_text(value)
    return vText(" ".join(cleaned.split()) if "\n" in cleaned or "\t" in cleaned else cleaned)


def _refresh(value_param: bool) -> vDuration:
    duration = vDuration(REFRESH)
    if value_param:
        # RFC 7986 requires VALUE=DURATION on REFRESH-INTERVAL; Calendar.new omits it.
        duration.params["VALUE"] = "DURATION"
    return duration


class _Values:
    """Property values of one calendar, shared between events where they repeat.

    A value is never changed once made, so one ``vText("CONFIRMED")`` can serve every
    confirmed event; this spares most of the library's per-value bookkeeping.
    """

    def __init__(self) -> None:
        self._texts: dict[str, vText] = {}
        self._ints: dict[int, vInt] = {}
        self._moments: dict[datetime | date, vDatetime | vDate] = {}

    def text(self, value: str) -> vText:
        found = self._texts.get(value)
        if found is None:
            found = self._texts[value] = _line(value)
        return found

    def integer(self, value: int) -> vInt:
        found = self._ints.get(value)
        if found is None:
            found = self._ints[value] = vInt(value)
        return found

    def moment(self, value: datetime | date) -> vDatetime | vDate:
        found = self._moments.get(value)
        if found is None:
            if isinstance(value, datetime):
                found = vDatetime(value)
            else:
                found = vDate(value)
                found.params["VALUE"] = "DATE"
            self._moments[value] = found
        return found


def vevent(event: FeedEvent, values: _Values | None = None) -> Event:
    """The VEVENT of one feed event."""
    values = values or _Values()
    component = Event()
    component["UID"] = vText(event.uid)
    component["SEQUENCE"] = values.integer(event.sequence)
    stamp = values.moment(event.stamp)
    component["DTSTAMP"] = stamp
    component["LAST-MODIFIED"] = stamp
    component["DTSTART"] = values.moment(event.start)
    component["DTEND"] = values.moment(event.end)
    component["STATUS"] = values.text(event.status.value)
    component["SUMMARY"] = _line(event.summary)
    component["DESCRIPTION"] = _text(event.description)
    if event.location:
        component["LOCATION"] = values.text(event.location)
    component["URL"] = vUri(event.url)
    if event.transparent:
        component["TRANSP"] = values.text("TRANSPARENT")
    return component


def build_calendar(name: str, events: Iterable[FeedEvent]) -> Calendar:
    """A VCALENDAR named ``name`` holding ``events`` in the given order."""
    calendar = Calendar()
    calendar["PRODID"] = vText(PRODID)
    calendar["VERSION"] = vText("2.0")
    calendar["CALSCALE"] = vText("GREGORIAN")
    # NAME (RFC 7986) for new clients, X-WR-CALNAME for Outlook, Google and Apple.
    calendar["NAME"] = _line(name)
    calendar["X-WR-CALNAME"] = _line(name)
    calendar["REFRESH-INTERVAL"] = _refresh(value_param=True)
    calendar["X-PUBLISHED-TTL"] = _refresh(value_param=False)
    values = _Values()
    calendar.subcomponents.extend(vevent(event, values) for event in events)
    return calendar


def to_bytes(calendar: Calendar) -> bytes:
    """The library's serialisation as it is: UTF-8, CRLF line ends, folded at 75 octets."""
    body: bytes = calendar.to_ical()
    return body
