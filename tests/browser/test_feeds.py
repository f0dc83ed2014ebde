"""The feed page in Chromium: making links, the copy button (a static script under the
CSP), and the copied link serving the calendar."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_make_links_copy_one_and_fetch_the_calendar(context, make_account):
    account = make_account("teacher", locale="en")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    problems: list[str] = []
    # Script errors and CSP refusals (the favicon's 404 is not one of them).
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.text.startswith("Failed to load resource")
            and problems.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(account.email)
    page.get_by_label("Wachtwoord").fill(account.password)
    page.get_by_role("button", name="Inloggen", exact=True).click()
    page.get_by_role("link", name="Calendar feeds").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar feeds")
    # No links yet: no copy button either.
    expect(page.get_by_role("button", name=re.compile("Copy link"))).to_have_count(0)
    page.get_by_role("button", name="Make calendar links").click()

    link = page.get_by_role("textbox", name="My agenda")
    url = link.input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:5000/calendar/[A-Za-z0-9_-]{43}/mine\.ics", url)
    copy = page.get_by_role("button", name="Copy link My agenda")
    expect(copy).to_be_visible()  # the script ran: CSP allows it, it unhid the button
    copy.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Link copied")).to_have_text(
        "Link copied: My agenda"
    )
    assert page.evaluate("navigator.clipboard.readText()") == url

    # The copied link serves the calendar (same path on the live server's port).
    path = url.split("127.0.0.1:5000", 1)[1]
    response = context.request.get(path)
    assert response.status == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.body().startswith(b"BEGIN:VCALENDAR\r\n")

    download = page.get_by_role("link", name="Download My agenda")
    expect(download).to_have_attribute("href", "/calendar/download/mine.ics")
    page.set_viewport_size({"width": 375, "height": 800})
    # Nothing wider than a phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == []
