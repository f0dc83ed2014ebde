from __future__ import annotations

import logging

from straxlab.auth.rules import mask_reset_tokens
from straxlab.core import logs
from straxlab.feeds.rules import mask_tokens

TOKEN = "Zq3-x_" + "a" * 37


def test_reset_tokens_are_masked_and_other_paths_stay():
    line = f'"GET /password/reset/{TOKEN} HTTP/1.1" 200 -'
    assert mask_reset_tokens(line) == '"GET /password/reset/*** HTTP/1.1" 200 -'
    assert TOKEN not in mask_reset_tokens(f"POST /password/reset/{TOKEN}?next=/ 302")
    assert mask_reset_tokens("GET /password/forgot 200") == "GET /password/forgot 200"


def test_the_access_log_filter_masks_every_registered_secret(app, caplog):
    # create_app registered both maskers and installed the filter on werkzeug's logger.
    logger = logging.getLogger("werkzeug")
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info('"%s %s HTTP/1.1" %s', "GET", f"/calendar/{TOKEN}/mine.ics", 200)
        logger.info('"%s %s HTTP/1.1" %s', "GET", f"/password/reset/{TOKEN}", 200)
        logger.info('"%s %s HTTP/1.1" %s', "GET", "/calendar", 200)
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        '"GET /calendar/***/mine.ics HTTP/1.1" 200',
        '"GET /password/reset/*** HTTP/1.1" 200',
        '"GET /calendar HTTP/1.1" 200',
    ]


def test_maskers_are_registered_once():
    logs.mask_in_logs(mask_tokens)
    logs.mask_in_logs(mask_tokens)
    assert logs._maskers.count(mask_tokens) == 1
    assert logs.masked(f"/calendar/{TOKEN}/x") == "/calendar/***/x"
