"""Form pieces every blueprint shares."""

from __future__ import annotations

import threading

from babel import support
from flask import current_app
from flask_babel import get_locale
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as a select field's choices; values as the page sends them
    back (text), so a field's ``coerce`` reads them."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WtformsMessages:
    """WTForms' own messages ("Field cannot be longer than 200 characters.") in the reader's
    language, each language's catalogue read once per process. Flask-WTF's own translations
    read the catalogue from disk again in every request that validates a form (each signup)."""

    _catalogs: dict[str, support.Translations] = {}
    _lock = threading.Lock()

    def _catalog(self) -> support.Translations:
        locale = str(get_locale())
        catalog = self._catalogs.get(locale)
        if catalog is None:
            catalog = support.Translations.load(messages_path(), [locale], domain="wtforms")
            with self._lock:
                self._catalogs[locale] = catalog
        return catalog

    def gettext(self, string: str) -> str:
        return self._catalog().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalog().ungettext(singular, plural, n)


WTFORMS_MESSAGES = WtformsMessages()


class CachedMessagesMeta:
    """A form's ``Meta`` that reads WTForms' messages from :data:`WTFORMS_MESSAGES`."""

    def get_translations(self, form):
        if not current_app.config.get("WTF_I18N_ENABLED", True):
            return None
        return WTFORMS_MESSAGES
