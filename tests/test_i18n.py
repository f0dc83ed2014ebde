"""The Dutch catalogue is complete and up to date with the code; every template compiles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "straxlab" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "_l": None,
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _source_messages() -> set[str]:
    method_map = [
        ("straxlab/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),  # the plain-text part of e-mail
    ]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=method_map,
        keywords=KEYWORDS,
        directory_filter=lambda path: not Path(path).name.startswith((".", "__pycache__")),
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _singular(message_id: str | tuple[str, ...]) -> str:
    return message_id[0] if isinstance(message_id, tuple) else message_id


@pytest.fixture(scope="module")
def catalogue():
    with CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="nl")


def test_every_message_in_the_code_is_in_the_dutch_catalogue(catalogue):
    missing = sorted(
        _source_messages() - {_singular(message.id) for message in catalogue if message.id}
    )
    assert missing == [], "run `make messages` and translate these"


def test_the_catalogue_has_no_messages_the_code_no_longer_uses(catalogue):
    stale = sorted(
        {_singular(message.id) for message in catalogue if message.id} - _source_messages()
    )
    assert stale == [], "run `make messages` to drop these"


def test_every_message_has_a_dutch_translation(catalogue):
    untranslated = [
        message.id
        for message in catalogue
        if message.id
        and (message.fuzzy or not all(message.string if message.pluralizable else [message.string]))
    ]
    assert untranslated == []


def test_placeholders_match(catalogue):
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        wanted = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == wanted, message.id


def test_templates_all_compile(app):
    names = [name for name in app.jinja_env.list_templates() if name.endswith((".html", ".txt"))]
    assert len(names) > 5
    for name in names:
        app.jinja_env.get_template(name)


def test_dates_are_formatted_in_the_lab_zone_and_the_users_language(app):
    from datetime import UTC, datetime

    from flask import render_template_string

    instant = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, after the clocks went back
    template = '{% from "_macros/time.html" import instant %}{{ instant(value) }}'
    with app.test_request_context("/"):
        dutch = render_template_string(template, value=instant)
    assert 'datetime="2026-10-25T01:30:00+00:00"' in dutch
    assert "25 okt 2026" in dutch and "02:30" in dutch
    with app.test_request_context("/"):
        from flask import session

        session["locale"] = "en"
        english = render_template_string(template, value=instant)
    assert "Oct 25, 2026" in english and "2:30" in english
