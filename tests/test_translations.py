"""The user-interface catalogs are complete: every message in the source is translated.

English is the source language: its msgids are the English text, and an empty msgstr shows
the msgid, so the ``en`` catalog is exempt from the completeness checks below (it is still
checked for broken placeholders). When a test here fails after you added or changed a string:
run ``make update-messages``, translate the new entries in every catalog, and commit the .pot
and .po files (``make install`` compiles them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext, ngettext

from eventhub.core.formatting import event_when
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "eventhub" / "translations"
TRANSLATED = ["fi", "lv", "et"]  # every configured language but the source language, en
# The Makefile's extract-messages target passes the same keywords.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def _catalog(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.fixture(scope="module")
def source_messages() -> dict[str, str]:
    """Every msgid in the code and templates now, as `pybabel extract` finds it, with the
    first place it occurs."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        singular = message[0] if isinstance(message, tuple) else message
        found.setdefault(singular, f"{filename}:{lineno}")
    assert found, "extraction found no messages: is babel.cfg right?"
    return found


def test_every_configured_language_has_a_catalog(app):
    for locale in app.config["LANGUAGES"]:
        assert (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").exists(), locale
    assert set(TRANSLATED) == set(app.config["LANGUAGES"]) - {"en"}


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_holds_every_message_of_the_source(locale, source_messages):
    catalog = _catalog(locale)
    missing = [
        f"{where}: {msgid!r}"
        for msgid, where in source_messages.items()
        if catalog.get(msgid) is None or catalog.get(msgid).id == ""
    ]
    assert not missing, (
        f"{len(missing)} messages are not in the {locale} catalog; run `make update-messages` "
        "and translate them:\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_has_no_untranslated_or_fuzzy_message(locale):
    catalog = _catalog(locale)
    problems = []
    for message in catalog:
        if not message.id:  # the header
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif message.pluralizable and len(strings) != catalog.num_plurals:
            problems.append(f"needs {catalog.num_plurals} plural forms: {message.id!r}")
        elif not all(s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
    assert not problems, f"{locale}: " + "\n".join(problems)


@pytest.mark.parametrize("locale", [*TRANSLATED, "en"])
def test_translations_keep_their_placeholders(locale):
    """%(name)s placeholders must survive translation, or gettext raises at run time."""
    broken = [
        f"{message.id!r}: {'; '.join(str(e) for e in errors)}"
        for message, errors in _catalog(locale).check()
    ]
    assert not broken, f"{locale}: " + "\n".join(broken)


@pytest.mark.parametrize(
    ("locale", "one", "two", "zero"),
    [
        ("fi", "1 paikka jäljellä", "2 paikkaa jäljellä", "0 paikkaa jäljellä"),
        ("lv", "1 brīva vieta", "2 brīvas vietas", "0 brīvu vietu"),
        ("et", "1 vaba koht", "2 vaba kohta", "0 vaba kohta"),
        ("en", "1 place left", "2 places left", "0 places left"),
    ],
)
def test_compiled_catalogs_translate_with_the_right_plural_forms(app, locale, one, two, zero):
    with app.test_request_context(), force_locale(locale):
        forms = [ngettext("%(num)d place left", "%(num)d places left", n) for n in (1, 2, 0)]
        assert forms == [one, two, zero]
        if locale != "en":
            assert gettext("Upcoming events") != "Upcoming events"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fi", "ti 24.11.2026 klo 18.00–20.00"),
        ("lv", "otrd., 24.11.2026. plkst. 18:00–20:00"),
        ("et", "T, 24.11.2026 kell 18:00–20:00"),
        # British, not American, English: read in Finland and the Baltics.
        ("en", "Tue, 24 Nov 2026, 18:00–20:00"),
    ],
)
def test_event_times_are_shown_in_the_readers_language_and_the_events_timezone(
    app, locale, expected
):
    event = factories.event(
        starts_at=datetime(2026, 11, 24, 16, 0, tzinfo=UTC), timezone="Europe/Riga"
    )
    with app.test_request_context(), force_locale(locale):
        assert event_when(event) == expected
