"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, and the real app
served on a loopback port against the test database, sending mail to the test SMTP server.

Outside CI these tests skip when /usr/bin/chromium is missing (see ``requires_chromium``);
in CI (``CI`` set) a missing Chromium is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask import got_request_exception

from eventhub import create_app
from eventhub.core.db import utcnow
from eventhub.core.models import Role
from eventhub.extensions import db
from tests import factories
from tests.browser.support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    PHONE,
    axe_violations,
    english_leftovers,
    format_violations,
    serve,
)
from tests.conftest import PG_URL, _pg_reset


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        # Only reached in CI: elsewhere the requires_chromium marker has skipped the test.
        pytest.fail(f"CI needs Chromium at {CHROMIUM}; .ci/run installs it (apt-get install)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Site:
    """The running app and what the tests seeded in it."""

    url: str
    app: object
    project_name: str
    municipality: str
    server_errors: list[BaseException] = field(default_factory=list)

    def event(self, **kw) -> int:
        """A published event, two weeks from now unless told otherwise; its id."""
        kw.setdefault("starts_at", utcnow().replace(microsecond=0) + timedelta(days=14))
        with self.app.app_context():
            from eventhub.core.models import Municipality, Project

            project = db.session.scalars(db.select(Project)).first()
            municipality = db.session.scalars(db.select(Municipality)).first()
            event = factories.event(project=project, municipality=municipality, **kw)
            db.session.commit()
            return event.id


@pytest.fixture(scope="module")
def site(request, smtp_server, tmp_path_factory) -> Iterator[Site]:
    """The app on 127.0.0.1 with a fresh database per test module: SQLite, or the test
    PostgreSQL database when EVENTHUB_TEST_DATABASE_URL is set (CI)."""
    _box, smtp_port = smtp_server
    if PG_URL:
        request.getfixturevalue("pg_schema")
        _pg_reset(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'eventhub.db'}"
    app = create_app(
        {
            "DATABASE_URL": url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_port,
            # Served for real: links are built from the request, not the test client's name.
            "SERVER_NAME": None,
        },
        testing=True,
    )
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    with app.app_context():
        if not PG_URL:
            db.create_all()
        municipality = factories.municipality("Joensuu")
        project = factories.project(
            "KYLA", name="Kylät verkkoon", organiser="Joensuun seudun Leader ry"
        )
        project.collects_background = True
        project.municipalities = [municipality]
        factories.user(
            ORGANISER_EMAIL, role=Role.MANAGER, projects=[project], password=ORGANISER_PASSWORD
        )
        db.session.commit()
        names = (project.name, municipality.name)
    live = serve(app)
    app.config["SITE_URL"] = live.url
    site = Site(live.url, app, *names)

    def record(_sender, exception, **_kw):
        site.server_errors.append(exception)

    got_request_exception.connect(record, app)
    yield site
    got_request_exception.disconnect(record, app)
    live.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _no_server_errors(request):
    yield
    if "site" in request.fixturenames:
        errors = request.getfixturevalue("site").server_errors
        raised, errors[:] = list(errors), []
        assert not raised, f"the app raised: {raised!r}"


class Pages:
    """Opens browser contexts and checks pages: axe-core, English leftovers, screenshots,
    and no errors in the browser console (a Content Security Policy violation is one)."""

    def __init__(self, browser, site: Site):
        self.browser = browser
        self.site = site
        self.contexts = []
        self.console_errors: list[str] = []

    def open(self, locale: str = "en", viewport: dict | None = None, **options):
        """A page in a fresh browser context (no cookies) whose Accept-Language is
        ``locale``; a phone unless another ``viewport`` is given."""
        phone = viewport is None or viewport == PHONE
        context = self.browser.new_context(
            base_url=self.site.url,
            viewport=viewport or PHONE,
            is_mobile=phone,
            has_touch=phone,
            locale={"fi": "fi-FI", "lv": "lv-LV", "et": "et-EE"}.get(locale, "en-GB"),
            **options,
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"page error: {exc}"))
        page.on("response", self._response)
        return page

    def _console(self, message) -> None:
        # A page's own status (422 for a form with errors) is reported as a failed load too;
        # _response catches the failures that matter: stylesheets, scripts, images.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.console_errors.append(f"{response.status} for {response.url}")

    def check(self, page, name: str, locale: str = "en", **options) -> None:
        """Assert :meth:`problems` finds none on the page."""
        found = self.problems(page, name, locale, **options)
        assert not found, "\n".join(found)

    def problems(
        self,
        page,
        name: str,
        locale: str = "en",
        *,
        data: tuple[str, ...] = (),
        axe: bool = True,
        screenshot: bool = True,
    ) -> list[str]:
        """Save a screenshot of the page; what axe-core finds on it; on a translated page, the
        English interface text left (``data``: names and titles the test made); a wrong
        ``lang``; sideways scrolling."""
        found = []
        if screenshot:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{locale}.png"), full_page=True)
        lang = page.evaluate("document.documentElement.lang")
        if lang != locale:
            found.append(f"{name} ({locale}): <html lang={lang!r}>")
        if axe and (violations := axe_violations(page)):
            found.append(f"axe-core on {name} ({locale}):\n{format_violations(violations)}")
        if locale != "en" and (leftovers := english_leftovers(page, locale, allowed=data)):
            found.append(f"English on {name} ({locale}):\n" + "\n".join(leftovers))
        width = page.viewport_size["width"]
        if page.evaluate("document.documentElement.scrollWidth") > width:
            found.append(f"{name} ({locale}) scrolls sideways at {width} px")
        return found

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser, site) -> Iterator[Pages]:
    helper = Pages(browser, site)
    yield helper
    helper.close()
    assert not helper.console_errors, "browser console: " + "\n".join(helper.console_errors)
