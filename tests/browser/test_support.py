"""The browser tests' own checks catch what they are meant to (no browser needed)."""

import pytest

from tests.browser.support import english_in, english_leftovers_patterns


@pytest.mark.parametrize("locale", ["fi", "lv", "et"])
def test_english_interface_text_is_found_on_a_translated_page(locale):
    parts = dict(english_leftovers_patterns(locale))
    for english in ("Upcoming events", "Register", "Cancel my registration", "Email", "Save"):
        assert english in parts, english
    text = "Kylätalon digiaamu\nRegister\nSubscribe to Kylät verkkoon"
    found = english_in(text, locale, allowed=("Kylätalon digiaamu", "Kylät verkkoon"))
    assert {f.split(" in: ")[0] for f in found} == {"'Register'", "'Subscribe'", "'Subscribe to'"}


def test_names_and_words_inside_other_words_are_not_english_leftovers():
    # "Statuss" is Latvian; "Registreeru" is Estonian; a participant may be called Save.
    assert english_in("Statuss: Apstiprināts", "lv") == []
    assert english_in("Registreeru", "et") == []
    assert english_in("Aino Save", "fi", allowed=("Aino Save",)) == []
