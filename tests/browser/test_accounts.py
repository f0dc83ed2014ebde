"""Accounts end to end in Chromium: logging in and out, roles, language, temporary passwords."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Account, NewContext

SESSION_COOKIE = "straxlab_session"
LOGIN_HEADING_NL = "Inloggen bij het STRAX-lab"
LOGIN_HEADING_EN = "Log in to the STRAX-lab"

MakeAccount = Callable[..., Account]


def log_in(page: Page, email: str, password: str) -> None:
    """Log in through the (Dutch) login form, as a person would."""
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen", exact=True).click()


def expect_home(page: Page, account: Account, *, welcome: str = "Welkom") -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{welcome}, {account.name}")
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/$"))


def expect_login_page(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/login(\?.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(LOGIN_HEADING_NL)
    expect(page.get_by_label("E-mailadres")).to_be_visible()


@pytest.mark.parametrize(
    ("role", "menu"),
    [
        (
            "teacher",
            [
                "Start",
                "Apparatuur reserveren",
                "Mijn reserveringen",
                "Ontwerpteams",
                "Labagenda",
                "Agenda-abonnementen",
            ],
        ),
        (
            "staff",
            [
                "Start",
                "Apparatuur reserveren",
                "Mijn reserveringen",
                "Ontwerpteams",
                "Labagenda",
                "Agenda-abonnementen",
                "Uitleenbalie",
                "Goedkeuringen",
                "Trajectaanvragen",
                "Alle reserveringen",
                "Catalogus",
                "Instellingen",
            ],
        ),
        (
            "manager",
            [
                "Start",
                "Apparatuur reserveren",
                "Mijn reserveringen",
                "Ontwerpteams",
                "Labagenda",
                "Agenda-abonnementen",
                "Alle reserveringen",
                "Naleving",
                "Te beoordelen plannen",
                "Instellingen",
                "Gebruikers",
            ],
        ),
    ],
)
def test_each_role_sees_its_own_main_menu(
    page: Page, make_account: MakeAccount, role: str, menu: list[str]
) -> None:
    account = make_account(role=role)
    log_in(page, account.email, account.password)

    expect_home(page, account)
    nav = page.locator('nav[aria-label="Hoofdmenu"]')
    expect(nav).to_be_visible()
    # The whole menu, in order: only managers get "Gebruikers", only staff run the desk.
    expect(nav.get_by_role("link")).to_have_text(menu)
    expect(nav.get_by_role("link", name="Start")).to_have_attribute("aria-current", "page")
    if role == "manager":
        nav.get_by_role("link", name="Gebruikers").click()
        expect(page).to_have_url(re.compile(r"/admin/users$"))
        expect(nav.get_by_role("link", name="Gebruikers")).to_have_attribute("aria-current", "page")
    else:
        expect(nav.get_by_text("Gebruikers")).to_have_count(0)


def test_teacher_gets_the_403_page_for_user_management(
    page: Page, make_account: MakeAccount
) -> None:
    account = make_account(role="teacher")
    log_in(page, account.email, account.password)
    expect_home(page, account)

    response = page.goto("/admin/users")

    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Je hebt geen toegang tot deze pagina"
    )
    expect(page.get_by_text("Foutcode: 403")).to_be_visible()


def test_language_switch_on_the_login_page(page: Page) -> None:
    # The browser asks for English (the context's locale); the lab speaks Dutch by default.
    page.goto("/login")
    html = page.locator("html")
    heading = page.get_by_role("heading", level=1)
    expect(html).to_have_attribute("lang", "nl")
    expect(heading).to_have_text(LOGIN_HEADING_NL)

    page.get_by_role("button", name="English").click()
    expect(heading).to_have_text(LOGIN_HEADING_EN)
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_label("E-mail address")).to_be_visible()

    page.get_by_role("button", name="Nederlands").click()
    expect(heading).to_have_text(LOGIN_HEADING_NL)
    expect(html).to_have_attribute("lang", "nl")


def test_language_choice_is_remembered_for_the_user(
    page: Page, new_context: NewContext, make_account: MakeAccount
) -> None:
    account = make_account(role="teacher")
    log_in(page, account.email, account.password)
    expect_home(page, account)

    page.get_by_role("button", name="English").click()
    expect_home(page, account, welcome="Welcome")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(LOGIN_HEADING_EN)
    expect(page.get_by_text("You have been logged out.")).to_be_visible()

    # Logging in again in the same browser.
    page.get_by_label("E-mail address").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect_home(page, account, welcome="Welcome")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # And in a browser that never made the choice: the choice is the user's, not the cookie's.
    other = new_context().new_page()
    log_in(other, account.email, account.password)
    expect_home(other, account, welcome="Welcome")
    expect(other.locator("html")).to_have_attribute("lang", "en")
    expect(other.locator('nav[aria-label="Main menu"]').get_by_role("link")).to_have_text(
        [
            "Home",
            "Reserve equipment",
            "My reservations",
            "Design teams",
            "Lab calendar",
            "Calendar feeds",
        ]
    )


def test_wrong_password_shows_an_error_and_keeps_the_email(
    page: Page, make_account: MakeAccount
) -> None:
    account = make_account(role="teacher")
    log_in(page, account.email, "dit is niet het wachtwoord")

    expect(page.get_by_role("alert")).to_have_text("Het e-mailadres of wachtwoord klopt niet.")
    expect(page.get_by_label("E-mailadres")).to_have_value(account.email)
    expect(page.get_by_label("Wachtwoord")).to_have_value("")
    expect(page.get_by_role("heading", level=1)).to_have_text(LOGIN_HEADING_NL)
    expect(page.locator('nav[aria-label="Hoofdmenu"]')).to_have_count(0)


def test_logout_ends_the_session_for_every_copy_of_the_cookie(
    page: Page, new_context: NewContext, make_account: MakeAccount
) -> None:
    account = make_account(role="teacher")
    log_in(page, account.email, account.password)
    expect_home(page, account)

    first = page.context
    cookies = [c for c in first.cookies() if c["name"] == SESSION_COOKIE]
    assert len(cookies) == 1, first.cookies()

    # Control: before logging out, the copied cookie does open the home page elsewhere.
    copy = new_context()
    copy.add_cookies(cookies)
    copy_page = copy.new_page()
    copy_page.goto("/")
    expect_home(copy_page, account)

    page.get_by_role("button", name="Uitloggen").click()
    expect_login_page(page)
    expect(page.get_by_text("Je bent uitgelogd.")).to_be_visible()

    stolen = new_context()
    stolen.add_cookies(cookies)
    stolen_page = stolen.new_page()
    stolen_page.goto("/")
    expect_login_page(stolen_page)
    expect(stolen_page.get_by_text(f"Welkom, {account.name}")).to_have_count(0)


def test_temporary_password_must_be_changed_first(page: Page, make_account: MakeAccount) -> None:
    account = make_account(role="teacher", must_change_password=True)
    log_in(page, account.email, account.password)

    heading = page.get_by_role("heading", level=1)
    expect(page).to_have_url(re.compile(r"/account/password$"))
    expect(heading).to_have_text("Wachtwoord wijzigen")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/account/password$"))
    expect(heading).to_have_text("Wachtwoord wijzigen")

    new_password = "paarse fiets op het dak 42"
    page.get_by_label("Huidig wachtwoord").fill(account.password)
    page.get_by_label("Nieuw wachtwoord").fill(new_password)
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill(new_password)
    page.get_by_role("button", name="Wachtwoord wijzigen").click()

    expect_home(page, account)

    # The new password is the one that works from now on.
    page.get_by_role("button", name="Uitloggen").click()
    expect_login_page(page)
    log_in(page, account.email, new_password)
    expect_home(page, account)


def test_log_in_with_the_keyboard_only(page: Page, make_account: MakeAccount) -> None:
    account = make_account(role="staff")
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text(LOGIN_HEADING_NL)

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Direct naar de inhoud")
    expect(skip_link).to_be_focused()

    # Follow the skip link; the next Tab lands on the first field of the form.
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mailadres")).to_be_focused()
    page.keyboard.type(account.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Wachtwoord")).to_be_focused()
    page.keyboard.type(account.password)
    page.keyboard.press("Enter")

    expect_home(page, account)


def test_the_demo_logins_printed_by_make_run_work(page: Page, runner) -> None:
    from straxlab.cli.demo import DEMO_PASSWORD, DEMO_USERS

    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    for email, name, _role in DEMO_USERS[:3]:
        assert email in result.output
        log_in(page, email, DEMO_PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Welkom, {name}")
        page.get_by_role("button", name="Uitloggen").click()
        expect_login_page(page)
