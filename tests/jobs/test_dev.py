"""When the development server starts the jobs: only the serving process of ``flask run``,
only when asked for; never in tests, other commands or gunicorn."""

from __future__ import annotations

import click
import pytest

from straxlab.jobs import dev

ASKED = {"STRAXLAB_RUN_JOBS": "1"}


def context(name: str, **params: object) -> click.Context:
    command = click.Command(name, params=[])
    ctx = click.Context(command, info_name=name)
    ctx.params.update(params)
    return ctx


@pytest.fixture
def served(app_factory):
    return app_factory(TESTING=False)


def test_the_reloaders_child_starts_them(served):
    environ = {**ASKED, "WERKZEUG_RUN_MAIN": "true"}
    assert dev.should_start(served, environ, context("run", reload=None))


def test_the_reloaders_parent_does_not(served, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert not dev.should_start(served, ASKED, context("run", reload=None))
    assert not dev.should_start(served, ASKED, context("run", reload=True))


def test_without_the_reloader_the_one_process_does(served, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert dev.should_start(served, ASKED, context("run", reload=False))
    monkeypatch.delenv("FLASK_DEBUG")
    assert dev.should_start(served, ASKED, context("run", reload=None))


def test_not_unless_asked_not_in_tests_not_outside_flask_run(served, app):
    environ = {"WERKZEUG_RUN_MAIN": "true"}
    assert not dev.should_start(served, environ, context("run", reload=False))
    assert not dev.should_start(served, {**ASKED, "STRAXLAB_RUN_JOBS": "0"}, context("run"))
    # The test suite's app, even when asked.
    assert not dev.should_start(app, {**ASKED, **environ}, context("run", reload=False))
    # `flask db upgrade`, `flask demo` under `make run`; gunicorn has no click context at all.
    assert not dev.should_start(served, ASKED, context("upgrade"))
    assert not dev.should_start(served, {**ASKED, **environ}, None)


def test_start_in_dev_server_starts_nothing_here(app, monkeypatch):
    monkeypatch.setenv("STRAXLAB_RUN_JOBS", "1")
    assert dev.start_in_dev_server(app) is False


def test_the_makefile_asks_for_the_jobs_in_make_run_only():
    from tests.jobs.processes import ROOT

    makefile = (ROOT / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "STRAXLAB_RUN_JOBS=1 $(FLASK) run" in run_recipe
    assert makefile.count("STRAXLAB_RUN_JOBS") == 1
