"""The feeds over HTTP: subscription links by token, downloads, the feed page, headers,
conditional requests, the rate limit and tokens masked in the logs."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import urllib.request
from dataclasses import dataclass

import icalendar
import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from straxlab.auth.models import User
from straxlab.core import clock
from straxlab.core.audit import AuditEvent
from straxlab.extensions import db
from straxlab.feeds import services
from tests.factories import make_user
from tests.feeds.support import NOW, build_world, events

TOKEN_URL = re.compile(r"http://127\.0\.0\.1:5000/calendar/([A-Za-z0-9_-]{43})/([a-z/0-9]+)\.ics")


@dataclass
class Lab:
    anna: int
    bram: int
    carl: int
    staff: int
    manager: int
    team: int
    other_team: int
    drone: int
    tokens: dict[str, str]


@pytest.fixture
def lab(app):
    with app.app_context(), clock.frozen(NOW):
        world = build_world()
        people = {
            "anna": world.anna,
            "carl": world.carl,
            "staff": world.staff,
            "manager": world.manager,
        }
        tokens = {name: services.issue_token(user, now=NOW) for name, user in people.items()}
        db.session.commit()
        ids = Lab(
            anna=world.anna.id,
            bram=world.bram.id,
            carl=world.carl.id,
            staff=world.staff.id,
            manager=world.manager.id,
            team=world.team.id,
            other_team=world.other_team.id,
            drone=world.drone.id,
            tokens=tokens,
        )
    with clock.frozen(NOW):
        yield ids


def get(client, path, **headers):
    response = client.get(path, headers=headers)
    response.close()
    return response


def user(app, user_id):
    with app.app_context():
        found = db.session.get(User, user_id)
        db.session.expunge(found)
        return found


# --- subscription links --------------------------------------------------------------------


def test_a_subscription_serves_the_librarys_bytes_with_the_right_headers(app, client, lab):
    token = lab.tokens["anna"]
    response = get(client, f"/calendar/{token}/mine.ics", **{"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    with app.app_context():
        anna = db.session.get(User, lab.anna)
        assert response.data == services.mine(anna, now=NOW)
    assert response.headers["ETag"] == '"' + hashlib.sha256(response.data).hexdigest() + '"'
    assert "private" in response.headers["Cache-Control"]
    assert "no-transform" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Content-Encoding" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert response.data.startswith(b"BEGIN:VCALENDAR\r\n")


def test_a_matching_if_none_match_gives_304_without_a_body(client, lab):
    path = f"/calendar/{lab.tokens['anna']}/mine.ics"
    first = get(client, path)
    tag = first.headers["ETag"]
    again = get(client, path, **{"If-None-Match": tag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == tag
    assert "private" in again.headers["Cache-Control"]
    weak = get(client, path, **{"If-None-Match": "W/" + tag})
    assert weak.status_code == 304
    several = get(client, path, **{"If-None-Match": f'"nope", {tag}'})
    assert several.status_code == 304
    other = get(client, path, **{"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.data == first.data


def test_the_etag_changes_when_an_event_changes(app, client, lab):
    path = f"/calendar/{lab.tokens['anna']}/team/{lab.team}.ics"
    tag = get(client, path).headers["ETag"]
    with app.app_context():
        from straxlab.design_teams import services as teams
        from straxlab.design_teams.models import DesignDay

        day = db.session.scalars(
            sa.select(DesignDay).where(DesignDay.team_id == lab.team).order_by(DesignDay.day)
        ).first()
        teams.cancel_day(day, reason="Ziek", actor=db.session.get(User, lab.anna), now=NOW)
        db.session.commit()
    changed = get(client, path, **{"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert b"STATUS:CANCELLED" in changed.data


@pytest.mark.parametrize(
    ("owner", "feed", "status"),
    [
        ("anna", "mine", 200),
        ("anna", "team/{team}", 200),
        ("anna", "team/{other_team}", 404),
        ("anna", "lab", 404),
        ("anna", "type/{drone}", 404),
        ("carl", "team/{team}", 404),
        ("carl", "team/{other_team}", 200),
        ("staff", "lab", 200),
        ("staff", "type/{drone}", 200),
        ("staff", "type/999999", 404),
        ("staff", "team/{team}", 200),
        ("staff", "team/999999", 404),
        ("staff", "team/99999999999", 404),
        ("manager", "lab", 200),
        ("manager", "type/{drone}", 404),
        ("manager", "team/{other_team}", 200),
    ],
)
def test_the_tokens_owner_decides_what_a_link_may_read(client, lab, owner, feed, status):
    path = f"/calendar/{lab.tokens[owner]}/" + feed.format(**vars(lab)) + ".ics"
    response = get(client, path)
    assert response.status_code == status, path
    if status == 200:
        calendar = icalendar.Calendar.from_ical(response.data)
        assert calendar.errors == []


def test_the_session_plays_no_part_in_a_subscription(client, auth, lab):
    # Logged in as lab staff, with a teacher's link: the teacher's rights apply.
    auth.login("staf@school.example")
    assert get(client, f"/calendar/{lab.tokens['anna']}/lab.ics").status_code == 404
    # And anonymous with the staff member's link: the staff member's rights apply.
    auth.logout()
    assert get(client, f"/calendar/{lab.tokens['staff']}/lab.ics").status_code == 200


def test_every_refusal_looks_the_same(client, lab):
    unknown = get(client, "/calendar/" + "B" * 43 + "/mine.ics")
    forbidden = get(client, f"/calendar/{lab.tokens['anna']}/lab.ics")
    hidden_team = get(client, f"/calendar/{lab.tokens['anna']}/team/{lab.other_team}.ics")
    garbage = get(client, "/calendar/not-a-token/mine.ics")
    for response in (unknown, forbidden, hidden_team, garbage):
        assert response.status_code == 404
        assert response.data == unknown.data
        assert response.mimetype == "text/plain"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "Set-Cookie" not in response.headers


def assert_plain_and_private(response, status, token):
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body.startswith(str(status))
    assert len(body) < 100
    assert token not in body
    assert "<" not in body
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/calendar/{token}/mine.ics", 405),
        ("DELETE", "/calendar/{token}/lab.ics", 405),
        ("GET", "/calendar/{token}/nonsense.ics", 404),
        ("GET", "/calendar/{token}/team/abc.ics", 404),
        ("GET", "/calendar/{token}", 404),
        ("GET", "/calendar/{token}/", 404),
        ("POST", "/calendar/{token}", 404),
    ],
)
def test_a_url_under_a_token_that_matches_no_route_is_answered_plainly(
    client, lab, method, path, status
):
    token = lab.tokens["anna"]
    response = client.open(path.format(token=token), method=method)
    response.close()
    assert_plain_and_private(response, status, token)
    if status == 405:
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_a_logged_in_browser_gets_the_plain_answer_too(client, auth, lab):
    auth.login("anna@school.example")
    token = lab.tokens["anna"]
    response = client.post(f"/calendar/{token}/mine.ics")
    assert response.status_code == 405
    assert response.mimetype == "text/plain"
    assert token not in response.get_data(as_text=True)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/calendar/token", 405),
        ("GET", "/calendar/download/nonsense.ics", 404),
        ("POST", "/calendar/download/mine.ics", 405),
        ("GET", "/nowhere/at/all", 404),
    ],
)
def test_other_urls_keep_the_error_page(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_regenerating_revokes_the_old_link_at_once(app, client, lab):
    old = lab.tokens["anna"]
    assert get(client, f"/calendar/{old}/mine.ics").status_code == 200
    with app.app_context():
        anna = db.session.get(User, lab.anna)
        new = services.issue_token(anna, now=NOW)
        db.session.commit()
    assert get(client, f"/calendar/{old}/mine.ics").status_code == 404
    assert get(client, f"/calendar/{old}/team/{lab.team}.ics").status_code == 404
    assert get(client, f"/calendar/{new}/mine.ics").status_code == 200


def test_a_deactivated_users_links_stop_working(app, client, lab):
    with app.app_context():
        db.session.get(User, lab.carl).is_active = False
        db.session.commit()
    assert get(client, f"/calendar/{lab.tokens['carl']}/mine.ics").status_code == 404


def test_reactivating_an_account_does_not_bring_its_old_links_back(app, client, lab):
    from straxlab.auth import services as accounts

    with app.app_context():
        manager = make_user(role="manager")
        carl = db.session.get(User, lab.carl)
        accounts.deactivate(manager, carl, now=NOW)
        accounts.reactivate(manager, carl, now=NOW)
        db.session.commit()
    assert get(client, f"/calendar/{lab.tokens['carl']}/mine.ics").status_code == 404


def test_only_the_hash_of_a_token_is_stored(app, lab):
    token = lab.tokens["anna"]
    with app.app_context():
        anna = db.session.get(User, lab.anna)
        assert anna.feed_token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert services.user_for_token(token).id == lab.anna
        assert services.user_for_token(anna.feed_token_hash) is None
        dump = " ".join(
            str(row) for row in db.session.execute(sa.select(AuditEvent.details, AuditEvent.action))
        )
        assert token not in dump


def test_a_subscription_takes_a_fixed_number_of_statements(app, client, lab):
    from tests.equipment.test_desk_queries import count_statements

    with app.app_context(), count_statements() as seen:
        assert get(client, f"/calendar/{lab.tokens['staff']}/lab.ics").status_code == 200
    # The token's user, the reservations, the design days (and nothing per event).
    queries = [statement for statement in seen if not statement.startswith("BEGIN")]
    assert len(queries) == 3, queries


# --- rate limit ----------------------------------------------------------------------------


def test_subscriptions_are_rate_limited_per_token(app_factory, lab):
    limited = app_factory(FEED_LIMIT_PER_TOKEN="3 per minute").test_client()
    anna, staff = lab.tokens["anna"], lab.tokens["staff"]
    codes = [
        limited.get(f"/calendar/{anna}/mine.ics").status_code,
        limited.get(f"/calendar/{anna}/team/{lab.team}.ics").status_code,
        limited.get(f"/calendar/{anna}/mine.ics").status_code,
    ]
    refused = limited.get(f"/calendar/{anna}/mine.ics")
    assert codes == [200, 200, 200]
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert refused.mimetype == "text/plain"
    # Another token has its own budget.
    assert limited.get(f"/calendar/{staff}/lab.ics").status_code == 200


# --- downloads -----------------------------------------------------------------------------


def test_downloads_are_attachments_for_the_logged_in_user(client, auth, lab):
    auth.login("anna@school.example")
    response = get(client, "/calendar/download/mine.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="straxlab-mine.ics"'
    assert "private" in response.headers["Cache-Control"]
    uids = set(events(response.data))
    assert any(uid.startswith("reservation-") for uid in uids)
    team = get(client, f"/calendar/download/team/{lab.team}.ics")
    assert team.status_code == 200
    assert "Milestone: First lesson tried" in team.get_data(as_text=True)
    assert get(client, f"/calendar/download/team/{lab.other_team}.ics").status_code == 404
    assert get(client, "/calendar/download/lab.ics").status_code == 403
    assert get(client, f"/calendar/download/type/{lab.drone}.ics").status_code == 403


def test_staff_download_the_lab_and_a_type(client, auth, lab):
    auth.login("staf@school.example")
    lab_file = get(client, "/calendar/download/lab.ics")
    assert lab_file.status_code == 200
    assert "for Carl Claes" in lab_file.get_data(as_text=True)
    drone = get(client, f"/calendar/download/type/{lab.drone}.ics")
    assert drone.headers["Content-Disposition"] == (
        f'attachment; filename="straxlab-type-{lab.drone}.ics"'
    )
    assert get(client, "/calendar/download/type/999999.ics").status_code == 404


# --- the feed page -------------------------------------------------------------------------


def test_the_page_lists_the_feeds_a_teacher_may_use(client, auth, lab):
    auth.login("anna@school.example")
    page = client.get("/calendar").get_data(as_text=True)
    assert "My agenda" in page
    assert "Design team VR in de zorg" in page
    assert "Drones bij bouw" not in page
    assert "Lab schedule" not in page
    assert "/calendar/download/mine.ics" in page
    assert f"/calendar/download/team/{lab.team}.ics" in page
    assert "Subscribe from web" in page
    assert "From URL" in page
    assert "New Calendar Subscription" in page
    assert "Add Subscribed Calendar" in page
    assert "every several hours" in page
    # The links exist already, but are never shown again.
    assert not TOKEN_URL.search(page)
    assert "You made your calendar links on" in page
    # A team the teacher may not read is not added by asking for it.
    other = client.get(f"/calendar?team={lab.other_team}").get_data(as_text=True)
    assert "Drones bij bouw" not in other
    assert client.get("/calendar?team=abc&type=99999999999").status_code == 200


def test_staff_see_the_lab_and_the_team_or_type_they_came_from(client, auth, lab):
    auth.login("staf@school.example")
    page = client.get(f"/calendar?team={lab.other_team}&type={lab.drone}").get_data(as_text=True)
    assert "Lab schedule" in page
    assert "Design team Drones bij bouw" in page
    assert "Reservations of DJI Mini 4" in page
    assert f'action="/calendar/token?team={lab.other_team}&amp;type={lab.drone}"' in page


def test_making_links_shows_them_once_and_they_work(app, client, auth):
    info = auth.login_as("teacher", locale="en")
    before = client.get("/calendar").get_data(as_text=True)
    assert "You have no calendar links yet." in before
    response = client.post("/calendar/token", data={})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]
    links = TOKEN_URL.findall(page)
    assert [feed for _, feed in links] == ["mine"]
    token = links[0][0]
    with app.app_context():
        me = db.session.get(User, info.id)
        assert me.feed_token_hash == hashlib.sha256(token.encode()).hexdigest()
        made = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.object_id == info.id)
        ).all()
        assert "user.feed_token_created" in made
    assert f'href="webcal://127.0.0.1:5000/calendar/{token}/mine.ics"' in page
    assert 'data-copy="feed-link-1"' in page
    assert "/static/js/copy.js" in page
    assert get(client, f"/calendar/{token}/mine.ics").status_code == 200
    # Shown once: the page does not show it again.
    assert token not in client.get("/calendar").get_data(as_text=True)


def test_new_links_need_a_confirmation_and_revoke_the_old_ones(app, client, auth):
    info = auth.login_as("teacher", locale="en")
    first = TOKEN_URL.search(client.post("/calendar/token", data={}).get_data(as_text=True))[1]
    refused = client.post("/calendar/token", data={})
    assert refused.status_code == 200
    text = refused.get_data(as_text=True)
    assert "Tick the box to confirm that your old links may stop working." in text
    assert not TOKEN_URL.search(text)
    assert get(client, f"/calendar/{first}/mine.ics").status_code == 200
    renewed = client.post("/calendar/token", data={"confirm": "y"}).get_data(as_text=True)
    second = TOKEN_URL.search(renewed)[1]
    assert second != first
    assert get(client, f"/calendar/{first}/mine.ics").status_code == 404
    assert get(client, f"/calendar/{second}/mine.ics").status_code == 200
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.object_id == info.id, AuditEvent.action.like("user.feed_token%"))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["user.feed_token_created", "user.feed_token_regenerated"]


def test_making_links_needs_a_csrf_token(client, auth):
    auth.login_as("teacher", locale="en")
    assert client.post("/calendar/token", data={}, csrf=False).status_code == 400


def test_the_menu_and_the_team_and_type_pages_link_to_the_feeds(client, auth, lab):
    auth.login("staf@school.example")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/calendar"' in home
    team_page = client.get(f"/teams/{lab.team}").get_data(as_text=True)
    assert f'href="/calendar?team={lab.team}"' in team_page
    type_page = client.get(f"/equipment/types/{lab.drone}").get_data(as_text=True)
    assert f'href="/calendar?type={lab.drone}"' in type_page
    auth.logout()
    auth.login("anna@school.example")
    # Teachers get no type feed, so no link to one.
    assert "/calendar?type=" not in client.get(f"/equipment/types/{lab.drone}").get_data(
        as_text=True
    )


# --- tokens in logs ------------------------------------------------------------------------


def test_the_development_servers_request_log_masks_the_token(app, lab, caplog):
    token = lab.tokens["anna"]
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/calendar/{token}/mine.ics"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/calendar/***/mine.ics" in line for line in lines), lines
    assert token not in caplog.text


def test_the_gunicorn_access_log_and_the_app_log_mask_the_token(app, caplog):
    token = "x" * 43
    caplog.set_level(logging.INFO)
    # gunicorn formats its access line from a dict of atoms, as here.
    logging.getLogger("gunicorn.access").info(
        '%(h)s "%(r)s" %(s)s "%(f)s"',
        {"h": "10.0.0.1", "r": f"GET /calendar/{token}/lab.ics HTTP/1.1", "s": "200", "f": "-"},
    )
    app.logger.error("Exception on /calendar/%s/mine.ics [GET]", token)
    assert token not in caplog.text
    assert '"GET /calendar/***/lab.ics HTTP/1.1" 200' in caplog.text
    assert "Exception on /calendar/***/mine.ics [GET]" in caplog.text
    # Other lines are left as they are.
    logging.getLogger("werkzeug").info("GET %s", "/calendar/download/mine.ics")
    assert "GET /calendar/download/mine.ics" in caplog.text
