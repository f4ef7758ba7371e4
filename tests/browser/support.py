"""What the browser tests share: Debian's Chromium, the real app on a loopback port, axe-core,
screenshots, and the check for English left on a translated page."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
IN_CI = bool(os.environ.get("CI"))
ARTIFACTS = ROOT / "test-artifacts" / "browser"
AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
TRANSLATIONS = ROOT / "eventhub" / "translations"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
ORGANISER_EMAIL = "organiser@example.fi"
ORGANISER_PASSWORD = "a long password"
DESKTOP = {"width": 1280, "height": 900}

# In CI a missing Chromium fails the browser fixture instead (see conftest.py).
requires_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not IN_CI,
    reason="browser tests need Debian's Chromium at /usr/bin/chromium "
    "(apt-get install chromium); .ci/run installs it",
)


@dataclass
class LiveServer:
    """The real app served by werkzeug in a thread of this process."""

    app: object
    url: str
    server: object
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def serve(app) -> LiveServer:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    return LiveServer(app, f"http://127.0.0.1:{server.server_port}", server, thread)


def t(site, locale: str, msgid: str, **params) -> str:
    """The interface text a person sees in ``locale``, from the compiled catalogs."""
    from flask_babel import force_locale, gettext

    with site.app.test_request_context(), force_locale(locale):
        return gettext(msgid, **params)


def wait_for_mail(mailbox, address: str, count: int = 1, seconds: float = 5.0):
    """The messages to ``address`` once ``count`` of them have arrived at the SMTP server."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        messages = mailbox.to(address)
        if len(messages) >= count:
            return messages
        time.sleep(0.05)
    raise AssertionError(f"{count} message(s) to {address} did not arrive: {mailbox.messages}")


# --- axe-core ------------------------------------------------------------------------------


def axe_violations(page) -> list[dict]:
    """Run axe-core in the page; its violations, each with the nodes it found.

    The script goes in through the DevTools protocol, which the page's Content Security
    Policy does not govern, so the page is checked with its real CSP in force."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
            }));
        }"""
    )
    return results


@cache
def _axe_source() -> str:
    if not AXE_JS.exists():
        raise AssertionError(
            f"{AXE_JS} is missing: `make test` installs it (npm ci in tests/browser)"
        )
    return AXE_JS.read_text(encoding="utf-8")


def format_violations(violations: list[dict]) -> str:
    return json.dumps(violations, indent=2, ensure_ascii=False)


# --- English left on translated pages ------------------------------------------------------

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")


@cache
def english_leftovers_patterns(locale: str) -> list[tuple[str, re.Pattern]]:
    """For each English msgid the catalog translates differently, the literal parts of it
    that must not show on a page in ``locale``.

    English words that the catalog itself uses (a proper noun, "Forum" in some languages,
    "Online" inside a compound) are left out: seeing them is right. So are parts of fewer than
    three letters, which are too likely to be a part of names and data."""
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    translated = "\n".join(
        s
        for m in catalog
        if m.id
        for s in (m.string if isinstance(m.string, tuple) else (m.string,))
    )
    patterns: dict[str, re.Pattern] = {}
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for english in ids:
            for part in PLACEHOLDER.split(english):
                part = part.strip(" .,:;–-()")
                if sum(ch.isalpha() for ch in part) < 3 or part in translated:
                    continue
                patterns[part] = re.compile(rf"(?<!\w){re.escape(part)}(?!\w)")
    return sorted(patterns.items())


def visible_text(page) -> str:
    """What a person sees or hears: the page text, its title, and the accessible names and
    hints given in attributes."""
    return page.evaluate(
        """() => {
            const parts = [document.title, document.body.innerText];
            const names = ['aria-label', 'title', 'placeholder', 'alt'];
            for (const el of document.querySelectorAll(names.map(a => `[${a}]`).join())) {
                for (const a of names) {
                    if (el.hasAttribute(a)) parts.push(el.getAttribute(a));
                }
            }
            for (const el of document.querySelectorAll('input[type=submit], input[type=button]')) {
                parts.push(el.value);
            }
            return parts.join('\\n');
        }"""
    )


def english_leftovers(page, locale: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """English interface text on a page shown in ``locale``; see :func:`english_in`."""
    return english_in(visible_text(page), locale, allowed)


def english_in(text: str, locale: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """English interface text in ``text`` meant to be in ``locale``. Data the test made
    (titles, names) is passed in ``allowed`` and removed before looking."""
    for data in allowed:
        text = text.replace(data, " ")
    found = []
    for part, pattern in english_leftovers_patterns(locale):
        match = pattern.search(text)
        if match:
            line = text[text.rfind("\n", 0, match.start()) + 1 : text.find("\n", match.end())]
            found.append(f"{part!r} in: {line.strip()[:120]}")
    return found
