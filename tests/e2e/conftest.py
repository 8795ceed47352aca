"""Browser tests: Playwright drives Debian's Chromium against a live kapcare server."""

import os
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in this thread; the tests still use the ORM to set up
# and check records (and pytest-django flushes the database), which Django otherwise refuses
# beside a running loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# With in-memory SQLite the live server hands the test's single database connection to every
# request thread, so two requests at once (a chart's panels load together) would interleave their
# transactions and break the audit chain. Serve one request at a time: Django's single-threaded
# server closes each connection after its response, so the browser never waits on a kept-alive one.
class OneRequestAtATime(WSGIServer):
    def __init__(self, *args, connections_override=None, **kwargs):
        # The server thread itself already uses the overridden connections.
        super().__init__(*args, **kwargs)


LiveServerThread.server_class = OneRequestAtATime

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-results"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def database_before_live_server(django_db_setup):
    """The test database is made before the live server starts, so the server stops (closing
    its connection) before the database is dropped, whichever a test asks for first."""


@pytest.fixture(scope="module")
def browser():
    # While Playwright is open its event loop counts as running in this thread, and Django then
    # keeps database connections per context rather than per thread: a connection opened then is
    # out of reach once Playwright closes, and was left open at the end of the run (so the test
    # database could not be dropped). So Playwright is open only for a module of browser tests,
    # and the connections it saw are closed before it closes.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        connections.close_all()
        browser.close()


def new_page(browser, viewport):
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.console_errors = errors
    return page


@pytest.fixture(autouse=True)
def closed_connections_after():
    """Each browser test's database connections closed when it ends (see `browser`): set up
    before the database fixtures, this runs after they have emptied the database."""
    yield
    connections.close_all()


@pytest.fixture
def page(browser, transactional_db):
    # Asking for the database here makes the browser close before the database is emptied, so
    # a page still polling the server cannot write into a half-emptied database.
    page = new_page(browser, DESKTOP)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser, transactional_db):
    page = new_page(browser, PHONE)
    yield page
    page.context.close()


def screenshot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
