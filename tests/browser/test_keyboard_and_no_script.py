"""Keyboard-only use with a visible focus, and the signup without JavaScript."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import DESKTOP, requires_chromium, wait_for_mail

pytestmark = requires_chromium

FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
        tag: el.tagName.toLowerCase(), id: el.id, text: (el.innerText || el.value || '').trim(),
        visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
}"""


def test_keyboard_alone_reaches_every_control_with_a_visible_focus_and_registers(
    site, pages, mailbox
):
    site.event(title="Näppäimistöllä ilmoittautuminen", venue="Kirjasto")
    page = pages.open("en", viewport=DESKTOP)
    page.goto("/")
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUSED)
    assert first["text"] == "Skip to content" and first["visible"], first
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # From the skip link's target, Tab reaches the event, Enter opens it.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED)["text"] == "Näppäimistöllä ilmoittautuminen":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Näppäimistöllä ilmoittautuminen")

    typed = {"name": "Eino Leino", "email": "eino@example.fi"}
    seen = []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["visible"], f"no visible focus on {focused}"
        seen.append(focused["id"])
        if focused["id"] in typed:
            page.keyboard.type(typed[focused["id"]])
        elif focused["id"] == "consent":
            page.keyboard.press("Space")
        elif focused["tag"] == "button":
            break
    for field in ("name", "email", "phone", "organisation", "municipality", "consent"):
        assert field in seen, f"{field} cannot be reached with Tab: {seen}"
    assert seen.index("name") < seen.index("email") < seen.index("consent")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registration")
    wait_for_mail(mailbox, "eino@example.fi")


def test_signup_works_without_javascript(site, pages, mailbox):
    site.event(title="Ilman skriptejä", venue="Kirjasto")
    page = pages.open("en", java_script_enabled=False)
    page.goto("/")
    page.get_by_role("link", name="Ilman skriptejä").click()
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.locator("#error-summary")).to_contain_text("Please enter your name.")
    page.get_by_label("Full name", exact=True).fill("Minna Canth")
    page.get_by_label("Email", exact=True).fill("minna@example.fi")
    page.get_by_label(
        "I have read the privacy notice and agree that my details are used for this event."
    ).check()
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registration")
    wait_for_mail(mailbox, "minna@example.fi")


def test_the_event_page_reflows_at_320_px(site, pages):
    """WCAG 1.4.10: content reflows at 320 CSS px without scrolling sideways (the journeys
    check 360 px on every page)."""
    event_id = site.event(title="Kapea näyttö", venue="Kylätalo")
    page = pages.open("en", viewport={"width": 320, "height": 640})
    page.goto(f"/events/{event_id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
