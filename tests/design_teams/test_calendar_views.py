"""The lab calendar pages: week and month views, closures (add, edit, remove, with the step
that confirms cancelling design days) and the holiday import."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from straxlab.core import clock
from straxlab.design_teams.models import DesignDay
from straxlab.design_teams.rules import DesignDayStatus
from straxlab.extensions import db
from straxlab.lab_calendar.models import Closure
from tests.equipment.test_desk_queries import count_statements
from tests.factories import make_closure, make_programme, make_team, make_user

AMS = ZoneInfo("Europe/Amsterdam")
# Monday 30 November 2026, 08:00 in the lab.
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=AMS).astimezone(UTC)
TUESDAYS = [date(2026, 12, 8), date(2026, 12, 15), date(2026, 12, 22), date(2026, 12, 29)]


def build_lab(team_count: int = 2) -> dict[str, int]:
    """Teams with approved programmes on the Tuesdays of December, and a study day on Friday
    11 December (call inside an app context; commits)."""
    with clock.frozen(NOW):
        staff = make_user(role="staff", email="sanne@school.example")
        names = ["VR in de zorg", "Drones bij bouw", "Podcast Economie", "3D-printen Techniek"]
        for n in range(team_count):
            coordinator = make_user(email=f"trekker{n}@school.example")
            team = make_team(coordinator, [make_user()], name=names[n])
            make_programme(
                team,
                first_day=TUESDAYS[0],
                day_count=4,
                ends="16:00" if n % 2 == 0 else "12:00",
                approve_by=staff,
            )
        closure = make_closure(date(2026, 12, 11), reason="Studiedag")
        db.session.commit()
        return {"staff": staff.id, "closure": closure.id}


@pytest.fixture
def lab(app):
    with app.app_context():
        return build_lab()


def get(client, path, **kwargs):
    with clock.frozen(NOW):
        return client.get(path, **kwargs)


def post(client, path, data=None):
    with clock.frozen(NOW):
        return client.post(path, data=data or {})


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def statuses(app, day: date) -> list[DesignDayStatus]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(DesignDay.status).where(DesignDay.day == day).order_by(DesignDay.id)
            )
        )


def affected_ids(body: str) -> str:
    match = re.search(r'name="affected"[^>]*value="([^"]*)"', body) or re.search(
        r'value="([^"]*)"[^>]*name="affected"', body
    )
    assert match, "no list of affected design days on the page"
    return match.group(1)


# Week and month ---------------------------------------------------------------------------


def test_week_view_shows_teams_places_and_closures(client, auth, lab):
    auth.login_as("teacher", locale="en")
    body = page(get(client, "/lab?week=2026-12-09"))
    assert "week of 7 December 2026" in body
    assert "VR in de zorg" in body and "Drones bij bouw" in body
    assert "09:00–16:00" in body and "09:00–12:00" in body
    assert "2 of 4 places" in body
    assert "Closed" in body and "Studiedag" in body
    assert "Scheduled" in body
    # Previous and next week, and the month view.
    assert 'href="/lab?week=2026-11-30"' in body
    assert 'href="/lab?week=2026-12-14"' in body
    assert 'href="/lab/month?month=2026-12"' in body
    # A teacher of neither team sees the names and times but no link to the design days.
    assert "/lab/days/" not in body
    # Nor the closures management.
    assert "/lab/closures" not in body


def test_week_view_links_staff_to_days_and_closures(client, auth, lab):
    auth.login_as("staff", locale="en")
    body = page(get(client, "/lab?week=2026-12-08"))
    assert body.count('href="/lab/days/') == 2
    assert 'href="/lab/closures"' in body


def test_week_view_links_members_to_their_own_team_only(client, auth, lab):
    auth.login("trekker0@school.example")
    body = page(get(client, "/lab?week=2026-12-08"))
    assert body.count('href="/lab/days/') == 1


def test_cancelled_days_show_but_take_no_place(client, app, auth, lab):
    with app.app_context():
        first = db.session.scalars(
            sa.select(DesignDay).where(DesignDay.day == TUESDAYS[1]).order_by(DesignDay.id)
        ).first()
        first.status = DesignDayStatus.CANCELLED
        db.session.commit()
    auth.login_as("teacher", locale="en")
    body = page(get(client, "/lab?week=2026-12-15"))
    assert "1 of 4 places" in body
    assert "Cancelled" in body


def test_month_view_counts_teams_per_day(client, auth, lab):
    auth.login_as("teacher", locale="en")
    body = page(get(client, "/lab/month?month=2026-12"))
    assert "December 2026" in body
    assert body.count("2 of 4 places") == 4
    assert "0 of 4 places" in body
    assert "Closed" in body and "Studiedag" in body
    # Each day leads to its week.
    assert 'href="/lab?week=2026-12-08"' in body
    assert 'href="/lab/month?month=2026-11"' in body
    assert 'href="/lab/month?month=2027-01"' in body


@pytest.mark.parametrize(
    "query",
    [
        "/lab?week=garbage",
        "/lab?week=9999-12-31",
        "/lab?week=0001-01-01",
        "/lab?week=2026-02-30",
        "/lab?week=",
        "/lab?week=2026-12-09&week=x",
        "/lab/month?month=2026-13",
        "/lab/month?month=abc",
        "/lab/month?month=0000-01",
        "/lab/month?month=9999-12",
        "/lab/month?month=99999-01",
        "/lab/month?month=2026-00",
        "/lab/closures?year=abc&page=-3",
        "/lab/closures?year=1850",
        "/lab/closures?page=999999999999",
        "/lab/closures/import?year=1900&region=Nergens",
        "/lab/closures/import?year=abc",
        "/lab/closures/import?region=Midden",
    ],
)
def test_odd_query_strings_show_a_page(client, auth, query):
    auth.login_as("staff", locale="en")
    assert get(client, query).status_code == 200


def test_garbage_week_shows_this_week(client, auth):
    auth.login_as("teacher", locale="en")
    body = page(get(client, "/lab?week=nonsense"))
    assert "week of 30 November 2026" in body


def test_garbage_month_shows_this_month(client, auth):
    auth.login_as("teacher", locale="en")
    body = page(get(client, "/lab/month?month=2026-13"))
    assert "November 2026" in body


def test_week_view_statement_count_does_not_grow(app, client, auth):
    auth.login_as("staff", locale="en")
    with app.app_context():
        build_lab(team_count=1)
    get(client, "/lab?week=2026-12-08")
    with app.app_context(), count_statements() as few:
        assert get(client, "/lab?week=2026-12-08").status_code == 200
    with app.app_context(), clock.frozen(NOW):
        staff = make_user(role="staff")
        for n in range(3):
            team = make_team(make_user(), [make_user()], name=f"Extra team {n}")
            make_programme(team, first_day=TUESDAYS[0], day_count=4, approve_by=staff)
        db.session.commit()
    with app.app_context(), count_statements() as many:
        body = page(get(client, "/lab?week=2026-12-08"))
    assert "4 of 4 places" in body
    assert len(many) == len(few)


def test_month_view_statement_count_does_not_grow(app, client, auth):
    auth.login_as("teacher", locale="en")
    with app.app_context():
        build_lab(team_count=1)
    with app.app_context(), count_statements() as few:
        assert get(client, "/lab/month?month=2026-12").status_code == 200
    with app.app_context(), clock.frozen(NOW):
        staff = make_user(role="staff")
        for n in range(3):
            team = make_team(make_user(), [make_user()], name=f"Extra team {n}")
            make_programme(team, first_day=TUESDAYS[0], day_count=4, approve_by=staff)
        make_closure(date(2026, 12, 21), date(2026, 12, 23), reason="Verhuizing")
        db.session.commit()
    with app.app_context(), count_statements() as many:
        body = page(get(client, "/lab/month?month=2026-12"))
    assert body.count("4 of 4 places") == 3
    assert len(many) == len(few)


# Closures ---------------------------------------------------------------------------------


def test_closures_list_and_links(client, auth, lab):
    auth.login_as("staff", locale="en")
    body = page(get(client, "/lab/closures"))
    assert "Studiedag" in body and "By hand" in body
    assert f'href="/lab/closures/{lab["closure"]}/edit"' in body
    assert 'href="/lab/closures/import"' in body
    assert 'href="/admin/settings"' in body


def test_closures_filter_by_year(client, app, auth, lab):
    with app.app_context():
        make_closure(date(2025, 3, 3), reason="Oude studiedag")
        db.session.commit()
    auth.login_as("staff", locale="en")
    assert "Oude studiedag" not in page(get(client, "/lab/closures"))
    body = page(get(client, "/lab/closures?year=2025"))
    assert "Oude studiedag" in body and "Studiedag" not in body
    assert "Closures in 2025" in body


def test_managers_read_closures_but_change_nothing(client, auth, lab):
    auth.login_as("manager", locale="en")
    body = page(get(client, "/lab/closures"))
    assert "Studiedag" in body
    assert "Add a closure" not in body and "/edit" not in body
    response = post(
        client,
        "/lab/closures",
        {"first_day": "2027-03-01", "last_day": "2027-03-01", "reason": "Verhuizing"},
    )
    assert response.status_code == 403
    assert get(client, f"/lab/closures/{lab['closure']}/edit").status_code == 403
    assert get(client, "/lab/closures/import").status_code == 403


@pytest.mark.parametrize(
    "path",
    ["/lab/closures", "/lab/closures/{closure}/edit", "/lab/closures/import"],
)
def test_teachers_may_not_open_closures_pages(client, auth, lab, path):
    auth.login_as("teacher", locale="en")
    assert get(client, path.format(**lab)).status_code == 403


def test_add_closure_without_design_days(client, app, auth, lab):
    auth.login_as("staff", locale="en")
    response = post(
        client,
        "/lab/closures",
        {"first_day": "2027-03-01", "last_day": "2027-03-02", "reason": "  Verhuizing  lab "},
    )
    assert response.status_code == 302
    with app.app_context():
        closure = db.session.scalar(sa.select(Closure).where(Closure.reason == "Verhuizing lab"))
        assert (closure.first_day, closure.last_day, closure.source) == (
            date(2027, 3, 1),
            date(2027, 3, 2),
            "manual",
        )
    assert "Closure added." in page(client.get(response.location))


def test_add_closure_over_design_days_asks_first(client, app, auth, lab):
    auth.login_as("staff", locale="en")
    data = {"first_day": "2026-12-14", "last_day": "2026-12-16", "reason": "Lab verbouwing"}
    response = post(client, "/lab/closures", data)
    assert response.status_code == 200
    body = page(response)
    assert "Cancel these 2 design days" in body
    assert "VR in de zorg" in body and "Drones bij bouw" in body
    assert "Tuesday 15 December 2026" in body
    assert "does not bring them back" in body
    # The typed values stay in the form.
    assert 'value="Lab verbouwing"' in body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Closure.id))) == 1
    assert statuses(app, TUESDAYS[1]) == [DesignDayStatus.SCHEDULED] * 2

    # Ticked without the list the page showed: asks again.
    response = post(client, "/lab/closures", {**data, "confirm": "y", "affected": "1"})
    assert response.status_code == 200
    assert statuses(app, TUESDAYS[1]) == [DesignDayStatus.SCHEDULED] * 2

    ids = affected_ids(body)
    response = post(client, "/lab/closures", {**data, "confirm": "y", "affected": ids})
    assert response.status_code == 302
    assert statuses(app, TUESDAYS[1]) == [DesignDayStatus.CANCELLED] * 2
    assert statuses(app, TUESDAYS[0]) == [DesignDayStatus.SCHEDULED] * 2
    body = page(client.get(response.location))
    assert "Closure added. 2 design days have been cancelled." in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first_day": "", "last_day": "2027-01-05", "reason": "x"}, "Enter the first day"),
        ({"first_day": "2027-01-05", "last_day": "2027-01-04", "reason": "x"}, "cannot be before"),
        ({"first_day": "2027-01-05", "last_day": "2028-06-01", "reason": "x"}, "at most 366"),
        ({"first_day": "2027-01-05", "last_day": "2027-01-05", "reason": " "}, "Say why"),
        ({"first_day": "2027-01-05", "last_day": "2027-01-05", "reason": "x" * 201}, "200"),
        ({"first_day": "5 januari", "last_day": "2027-01-05", "reason": "x"}, "date"),
        ({"first_day": "9999-12-31", "last_day": "9999-12-31", "reason": "x"}, "2000 to 2100"),
    ],
)
def test_add_closure_refuses_bad_input(client, app, auth, lab, data, message):
    auth.login_as("staff", locale="en")
    response = post(client, "/lab/closures", data)
    assert response.status_code == 200
    assert message in page(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Closure.id))) == 1


def test_edit_closure_asks_before_cancelling_newly_covered_days(client, app, auth, lab):
    auth.login_as("staff", locale="en")
    path = f"/lab/closures/{lab['closure']}/edit"
    body = page(get(client, path))
    assert 'value="2026-12-11"' in body and 'value="Studiedag"' in body
    data = {"first_day": "2026-12-11", "last_day": "2026-12-15", "reason": "Studiedagen"}
    response = post(client, path, data)
    assert response.status_code == 200
    body = page(response)
    assert "Cancel these 2 design days" in body
    assert statuses(app, TUESDAYS[1]) == [DesignDayStatus.SCHEDULED] * 2
    response = post(client, path, {**data, "confirm": "y", "affected": affected_ids(body)})
    assert response.status_code == 302
    assert statuses(app, TUESDAYS[1]) == [DesignDayStatus.CANCELLED] * 2
    with app.app_context():
        closure = db.session.get(Closure, lab["closure"])
        assert (closure.last_day, closure.reason) == (date(2026, 12, 15), "Studiedagen")


def test_edit_closure_without_design_days_saves_at_once(client, app, auth, lab):
    auth.login_as("staff", locale="en")
    path = f"/lab/closures/{lab['closure']}/edit"
    response = post(
        client, path, {"first_day": "2026-12-10", "last_day": "2026-12-11", "reason": "Studie"}
    )
    assert response.status_code == 302
    assert "Closure saved." in page(client.get(response.location))
    with app.app_context():
        assert db.session.get(Closure, lab["closure"]).first_day == date(2026, 12, 10)


def test_edit_unknown_closure_is_404(client, auth, lab):
    auth.login_as("staff", locale="en")
    assert get(client, "/lab/closures/999999/edit").status_code == 404
    assert get(client, "/lab/closures/99999999999999/edit").status_code == 404
    assert post(client, "/lab/closures/999999/remove", {"remove-confirm": "y"}).status_code == 404


def test_remove_closure_needs_the_box_ticked(client, app, auth, lab):
    auth.login_as("staff", locale="en")
    path = f"/lab/closures/{lab['closure']}/remove"
    body = page(get(client, f"/lab/closures/{lab['closure']}/edit"))
    assert "stay cancelled" in body
    response = post(client, path)
    assert response.status_code == 200
    assert "Tick the box to confirm the removal." in page(response)
    with app.app_context():
        assert db.session.get(Closure, lab["closure"]) is not None
    response = post(client, path, {"remove-confirm": "y"})
    assert response.status_code == 302
    assert "Closure removed: Studiedag." in page(client.get(response.location))
    with app.app_context():
        assert db.session.get(Closure, lab["closure"]) is None


def test_removing_a_closure_does_not_bring_back_cancelled_days(client, app, auth, lab):
    auth.login_as("staff", locale="en")
    data = {"first_day": "2026-12-15", "last_day": "2026-12-15", "reason": "Storing"}
    body = page(post(client, "/lab/closures", data))
    post(client, "/lab/closures", {**data, "confirm": "y", "affected": affected_ids(body)})
    with app.app_context():
        closure_id = db.session.scalar(sa.select(Closure.id).where(Closure.reason == "Storing"))
    post(client, f"/lab/closures/{closure_id}/remove", {"remove-confirm": "y"})
    assert statuses(app, TUESDAYS[1]) == [DesignDayStatus.CANCELLED] * 2


# Holiday import ---------------------------------------------------------------------------


def row_index(body: str, name: str) -> int:
    """The checkbox value of the preview row with this name."""
    match = re.search(
        r'<input type="checkbox" name="rows" value="(\d+)"[^>]*>\s*<label[^>]*>[^<]*'
        + re.escape(name)
        + "<",
        body,
    )
    assert match, f"no row for {name}"
    return int(match.group(1))


def row_checkbox(body: str, index: int) -> str:
    match = re.search(rf'<input type="checkbox" name="rows" value="{index}"[^>]*>', body)
    assert match
    return match.group(0)


def test_import_preview_in_dutch_lists_herfstvakantie(client, auth, lab):
    auth.login_as("staff", locale="nl")
    body = page(get(client, "/lab/closures/import?year=2026&region=Midden"))
    assert "Herfstvakantie" in body
    assert re.search(r"za 17 okt\.? 2026", body) and re.search(r"zo 25 okt\.? 2026", body)
    assert "Koningsdag" in body


def test_import_preview_defaults_to_this_year_and_the_region_setting(client, auth, lab):
    auth.login_as("staff", locale="en")
    body = page(get(client, "/lab/closures/import"))
    assert 'value="2026" selected' in body or 'selected value="2026"' in body
    assert re.search(r'<option[^>]*selected[^>]*value="Midden"|value="Midden"[^>]*selected', body)
    assert "Autumn Break" in body
    # This year and the next two only.
    assert 'value="2028"' in body and 'value="2029"' not in body


def test_import_marks_known_holidays_and_imports_ticked_rows_only(client, app, auth, lab):
    with app.app_context():
        make_closure(date(2026, 10, 17), date(2026, 10, 25), reason="Autumn Break")
        db.session.commit()
    auth.login_as("staff", locale="en")
    body = page(get(client, "/lab/closures/import?year=2026&region=Midden"))
    autumn = row_index(body, "Autumn Break")
    christmas = [
        int(i) for i in re.findall(r'value="(\d+)"[^>]*>\s*<label[^>]*>Add Christmas Break<', body)
    ]
    kings = row_index(body, "King's Day")
    assert "Already in the calendar" in body
    assert "checked" not in row_checkbox(body, autumn)
    assert "checked" in row_checkbox(body, kings)

    # Christmas of December 2026 covers two of the teams' Tuesdays: confirm first.
    december = max(christmas)
    data = {"year": "2026", "region": "Midden", "rows": [autumn, kings, december]}
    response = post(client, "/lab/closures/import", data)
    assert response.status_code == 200
    body = page(response)
    assert "Cancel these 4 design days" in body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Closure.id))) == 2

    data = {**data, "confirm": "y", "affected": affected_ids(body)}
    response = post(client, "/lab/closures/import", data)
    assert response.status_code == 302
    assert "2 closures imported. 4 design days have been cancelled." in page(
        client.get(response.location)
    )
    with app.app_context():
        rows = db.session.execute(
            sa.select(Closure.first_day, Closure.last_day, Closure.reason, Closure.source).order_by(
                Closure.first_day
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        (date(2026, 4, 27), date(2026, 4, 27), "King's Day", "holidays"),
        (date(2026, 10, 17), date(2026, 10, 25), "Autumn Break", "manual"),
        (date(2026, 12, 11), date(2026, 12, 11), "Studiedag", "manual"),
        (date(2026, 12, 19), date(2026, 12, 31), "Christmas Break", "holidays"),
    ]
    assert statuses(app, TUESDAYS[2]) == [DesignDayStatus.CANCELLED] * 2
    assert statuses(app, TUESDAYS[1]) == [DesignDayStatus.SCHEDULED] * 2


def test_import_needs_a_new_row_ticked(client, app, auth, lab):
    with app.app_context():
        make_closure(date(2026, 10, 17), date(2026, 10, 25), reason="Autumn Break")
        db.session.commit()
    auth.login_as("staff", locale="en")
    body = page(get(client, "/lab/closures/import?year=2026&region=Midden"))
    autumn = row_index(body, "Autumn Break")
    for data in (
        {"year": "2026", "region": "Midden"},
        {"year": "2026", "region": "Midden", "rows": [autumn]},
    ):
        response = post(client, "/lab/closures/import", data)
        assert response.status_code == 200
        assert "Tick at least one holiday" in page(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Closure.id))) == 2


@pytest.mark.parametrize(
    "data",
    [
        {"year": "2026", "region": "Midden", "rows": "999"},
        {"year": "2026", "region": "Midden", "rows": "abc"},
        {"year": "1900", "region": "Midden", "rows": "0"},
        {"year": "2026", "region": "Atlantis", "rows": "0"},
        {"year": "x", "region": "", "rows": "0"},
        {"rows": "0", "first_day": "2026-01-01", "reason": "Made up"},
    ],
)
def test_import_refuses_what_the_preview_did_not_offer(client, app, auth, lab, data):
    auth.login_as("staff", locale="en")
    response = post(client, "/lab/closures/import", data)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Closure.id))) == 1
