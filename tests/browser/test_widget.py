"""The embeddable widget on another site: an organiser copies the snippet from the project's
integrations page and allows the site; a Finnish page on a second loopback origin embeds it;
a visitor on a phone sees the upcoming events with places left in Finnish, follows one to a
new tab and registers. Without JavaScript the snippet's link leads to the same list; a site
that is not allowed gets no data. axe-core checks the host page with the widget in it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    PHONE,
    requires_chromium,
    t,
)

pytestmark = requires_chromium


class HostSite:
    """A municipality's site: one page served from its own loopback origin."""

    def __init__(self):
        self.html = ""
        self.policy = ""
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                body = host.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                if host.policy:
                    self.send_header("Content-Security-Policy", host.policy)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def show(self, snippet: str) -> None:
        self.html = (
            '<!doctype html><html lang="fi"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Joensuun kaupunki: tapahtumat</title></head><body><main>"
            f"<h1>Tapahtumat kylillä</h1>{snippet}</main></body></html>"
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host():
    site = HostSite()
    yield site
    site.close()


def copy_snippets(site, pages, origin: str) -> tuple[str, str]:
    """The organiser allows ``origin`` and copies the widget and frame snippets."""
    page = pages.open("en", viewport=PHONE)
    page.goto("/login")
    page.get_by_label(t(site, "en", "Email"), exact=True).fill(ORGANISER_EMAIL)
    page.get_by_label(t(site, "en", "Password"), exact=True).fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name=t(site, "en", "Sign in"), exact=True).click()
    page.goto("/organiser/projects/")
    page.get_by_role("link", name="KYLA").click()
    page.get_by_role(
        "link", name=t(site, "en", "Integrations: API tokens, webhooks, events on other sites")
    ).click()
    page.get_by_label(t(site, "en", "Sites that may embed the events")).fill(origin + "/")
    page.get_by_role("button", name=t(site, "en", "Save the sites")).click()
    expect(page.get_by_label(t(site, "en", "Sites that may embed the events"))).to_have_value(
        origin
    )
    pages.check(page, "integrations", "en", data=(site.project_name, origin))
    widget = page.locator("[data-snippet=widget]").inner_text()
    iframe = page.locator("[data-snippet=iframe]").inner_text()
    return widget, iframe


def test_a_visitor_finds_an_event_in_the_widget_and_registers(site, pages, host, mailbox):
    title = "Kylien iltakoulu"
    site.event(title=title, capacity=7, venue="Kylätalo")
    widget, iframe = copy_snippets(site, pages, host.origin)
    assert widget.count("<script") == 1 and "<eventhub-events" in widget
    host.show(widget)
    # A municipality's strict policy: scripts and data from eventhub only, no inline styles.
    host.policy = (
        f"default-src 'none'; script-src {site.url}; connect-src {site.url}; "
        "style-src 'self'; img-src 'self'"
    )

    page = pages.open("fi", viewport=PHONE)
    page.goto(host.origin)
    element = page.locator("eventhub-events")
    link = element.get_by_role("link", name=title)
    expect(link).to_be_visible()
    assert link.evaluate("a => getComputedStyle(a).fontWeight") == "600"  # its own styles
    expect(element.locator("li", has_text=title)).to_contain_text("7")
    expect(element.get_by_role("heading")).to_have_text(
        t(site, "fi", "Upcoming events: %(name)s", name=site.project_name)
    )
    assert link.get_attribute("target") == "_blank"
    # The widget's link inside the shadow root is the list's; the snippet's own is hidden.
    pages.check(page, "widget-host", "fi", data=(title, site.project_name, "Kylätalo", "Joensuu"))
    assert page.context.cookies() == []  # nothing set by the widget, on either site

    # The municipality's policy forbids frames (default-src 'none', no frame-src): no dialog,
    # the event opens in a new tab as on a site without the widget's dialog.
    with page.context.expect_page() as opened:
        link.click()
    event_page = opened.value
    expect(element.get_by_role("dialog")).to_have_count(0)
    # The browser reports the frame the host refused: that is how the widget learns it.
    refused = [e for e in pages.console_errors if "Framing" in e and site.url in e]
    assert refused, pages.console_errors
    pages.console_errors.clear()
    expect(event_page.get_by_role("heading", level=1)).to_have_text(title)
    event_page.get_by_label(t(site, "fi", "Full name"), exact=True).fill("Aino Mäkelä")
    event_page.get_by_label(t(site, "fi", "Email"), exact=True).fill("aino.widget@example.fi")
    event_page.get_by_label(t(site, "fi", "Age"), exact=True).select_option(index=2)
    event_page.get_by_label(
        t(
            site,
            "fi",
            "I have read the privacy notice and agree that my details are used for this event.",
        )
    ).check()
    event_page.get_by_role("button", name=t(site, "fi", "Register"), exact=True).click()
    expect(event_page.locator("#signup-outcome")).to_have_text(
        t(site, "fi", "You have a place at %(title)s.", title=title)
    )
    # Back on the municipality's page the widget counts the place taken.
    page.reload()
    expect(element.locator("li", has_text=title)).to_contain_text("6")

    # The frame snippet shows the same list, framed by an allowed site.
    host.show(iframe)
    host.policy = ""
    page.goto(host.origin)
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("link", name=title)).to_be_visible()
    pages.check(page, "widget-frame-host", "fi", data=(title, site.project_name))


def test_a_visitor_registers_in_the_widgets_dialog(site, pages, host, mailbox):
    """A site that allows eventhub's frames: the event's signup opens in a dialog over the
    page, the visitor registers in it without any cookie, and the dialog closes back to the
    event's link."""
    title = "Kylän kirjapiiri"
    site.event(title=title, capacity=5, venue="Kylätalo")
    widget, _iframe = copy_snippets(site, pages, host.origin)
    host.show(widget)
    host.policy = (
        f"default-src 'none'; script-src {site.url}; connect-src {site.url}; "
        f"frame-src {site.url}; style-src 'self'; img-src 'self'"
    )
    page = pages.open("fi", viewport=PHONE)
    page.goto(host.origin)
    element = page.locator("eventhub-events")
    link = element.get_by_role("link", name=title)
    link.click()
    dialog = element.get_by_role("dialog", name=title)
    expect(dialog).to_be_visible()
    close = dialog.get_by_role("button", name=t(site, "fi", "Close"), exact=True)
    expect(close).to_be_focused()
    assert len(page.context.pages) == 1  # no new tab
    frame = page.frame_locator("eventhub-events iframe")
    expect(frame.get_by_role("heading", level=1)).to_have_text(title)
    data = (title, site.project_name, "Kylätalo", "Joensuu")
    pages.check(page, "widget-dialog-host", "fi", data=data)

    frame.get_by_label(t(site, "fi", "Full name"), exact=True).fill("Eino Kylä")
    frame.get_by_label(t(site, "fi", "Email"), exact=True).fill("eino.dialog@example.fi")
    frame.get_by_label(t(site, "fi", "Age"), exact=True).select_option(index=2)
    frame.get_by_label(
        t(
            site,
            "fi",
            "I have read the privacy notice and agree that my details are used for this event.",
        )
    ).check()
    frame.get_by_role("button", name=t(site, "fi", "Register"), exact=True).click()
    expect(frame.locator("#signup-outcome")).to_have_text(
        t(site, "fi", "You have a place at %(title)s.", title=title)
    )
    assert page.context.cookies() == []  # the signup used none, on either site
    pages.check(page, "widget-dialog-done", "fi", data=data)
    page.keyboard.press("Escape")
    expect(element.get_by_role("dialog")).to_have_count(0)
    expect(link).to_be_focused()

    # Opened again, the close button closes it; the list counts the place taken after reload.
    link.click()
    element.get_by_role("button", name=t(site, "fi", "Close"), exact=True).click()
    expect(element.get_by_role("dialog")).to_have_count(0)
    expect(link).to_be_focused()
    page.reload()
    expect(element.locator("li", has_text=title)).to_contain_text("4")


def test_without_javascript_the_snippet_is_a_link_to_the_list(site, pages, host):
    title = "Ilman skriptejä"
    site.event(title=title)
    widget, _iframe = copy_snippets(site, pages, host.origin)
    host.show(widget)
    page = pages.open("fi", viewport=PHONE, java_script_enabled=False)
    page.goto(host.origin)
    fallback = page.get_by_role(
        "link", name=t(site, "fi", "Upcoming events: %(name)s", name=site.project_name)
    )
    expect(fallback).to_be_visible()
    listing = fallback.get_attribute("href")
    page.goto(listing)
    expect(page.get_by_role("link", name=title)).to_be_visible()
    # The same list checked where axe-core can run (it needs JavaScript).
    checked = pages.open("fi", viewport=PHONE)
    checked.goto(listing)
    pages.check(checked, "widget-list", "fi", data=(title, site.project_name, "Joensuu"))


def test_a_site_that_is_not_allowed_gets_no_data(site, pages, host):
    title = "Vain sallituille"
    site.event(title=title)
    widget, _iframe = copy_snippets(site, pages, "https://www.example.fi")
    host.show(widget)
    page = pages.open("fi", viewport=PHONE)
    page.goto(host.origin)
    page.wait_for_load_state("networkidle")
    expect(page.locator("eventhub-events").get_by_role("link", name=title)).to_have_count(0)
    # Only the snippet's own link shows; the browser says the data was refused (CORS).
    refused = [e for e in pages.console_errors if "CORS" in e or "blocked" in e]
    assert refused, pages.console_errors
    pages.console_errors.clear()


def test_a_municipalitys_widget_on_any_site_shows_every_projects_events(site, pages, host):
    """The municipality's snippet, from its set-up page, on a site nobody allowed: the
    municipality's public events of both projects, not another town's, axe-clean."""
    site.event(title="Kylien kevätkokous", capacity=5)
    with site.app.app_context():
        from eventhub.core.models import Municipality
        from eventhub.extensions import db
        from tests import factories

        joensuu = db.session.scalars(db.select(Municipality).filter_by(name="Joensuu")).one()
        other = factories.project("LUKU", name="Lukupiiri")
        factories.event(title="Kirjaston lukupiiri", project=other, municipality=joensuu,
                        capacity=None)  # fmt: skip
        factories.event(title="Outokummun ilta", project=other,
                        municipality=factories.municipality("Outokumpu"))  # fmt: skip
        db.session.commit()

    admin = pages.open("en", viewport=PHONE)
    admin.goto("/login")
    admin.get_by_label(t(site, "en", "Email"), exact=True).fill(ORGANISER_EMAIL)
    admin.get_by_label(t(site, "en", "Password"), exact=True).fill(ORGANISER_PASSWORD)
    admin.get_by_role("button", name=t(site, "en", "Sign in"), exact=True).click()
    admin.goto("/organiser/places/")
    admin.get_by_role("link", name="Joensuu", exact=True).click()
    pages.check(admin, "municipality-snippets", "en", data=(site.municipality,))
    widget = admin.locator("[data-snippet=widget]").inner_text()
    assert "<eventhub-events municipality=" in widget and "project=" not in widget
    host.show(widget)

    page = pages.open("fi", viewport=PHONE)
    page.goto(host.origin)
    element = page.locator("eventhub-events")
    expect(element.get_by_role("link", name="Kirjaston lukupiiri")).to_be_visible()
    expect(element.locator("li", has_text="Kylien kevätkokous")).to_contain_text("5")
    expect(element.get_by_role("heading")).to_have_text(
        t(site, "fi", "Upcoming events: %(name)s", name=site.municipality)
    )
    expect(element.get_by_role("link", name="Outokummun ilta")).to_have_count(0)
    data = ("Kylien kevätkokous", "Kirjaston lukupiiri", site.municipality, "Kylätalo")
    pages.check(page, "municipality-widget-host", "fi", data=data)
    assert page.context.cookies() == []


def test_an_organiser_adds_a_webhook_and_reads_its_log_in_finnish(site, pages):
    """The integrations and webhook pages, keyboard-free checks: axe-core, no English left,
    no sideways scrolling at 360 px."""
    page = pages.open("fi", viewport=PHONE)
    page.goto("/login")
    page.get_by_label(t(site, "fi", "Email"), exact=True).fill(ORGANISER_EMAIL)
    page.get_by_label(t(site, "fi", "Password"), exact=True).fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name=t(site, "fi", "Sign in"), exact=True).click()
    page.goto("/organiser/projects/")
    page.get_by_role("link", name="KYLA").click()
    page.get_by_role(
        "link", name=t(site, "fi", "Integrations: API tokens, webhooks, events on other sites")
    ).click()
    data = (site.project_name, "https://", "http://127.0.0.1", "KYLA", "eventhub-events")
    pages.check(page, "integrations", "fi", data=data)
    page.get_by_label(t(site, "fi", "Address"), exact=True).fill("http://127.0.0.1:9/hook")
    page.get_by_label(t(site, "fi", "An event is published")).check()
    page.get_by_role("button", name=t(site, "fi", "Add the webhook")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, "fi", "Webhook"))
    secret = page.locator("[data-secret]").inner_text()
    assert secret.startswith("whsec_")
    pages.check(page, "webhook", "fi", data=(*data, secret))
