"""Form pieces every blueprint shares."""

from __future__ import annotations

from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as a select field's choices; values as the page sends them
    back (text), so a field's ``coerce`` reads them."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
