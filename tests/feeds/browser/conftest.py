"""The browser fixtures of tests/browser, for the feed page's browser test (this folder is
named ``browser``, so its tests carry the ``browser`` mark and run with `make browser-test`)."""

from tests.browser.conftest import (  # noqa: F401  (fixtures, found by name)
    browser,
    context,
    lab_clock,
    live_server,
    make_account,
    new_context,
    page,
)
