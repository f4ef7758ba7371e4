"""The form an organiser uploads a file with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from eventhub.core.models import ImportKind
from eventhub.core.services.imports import KIND_LABELS
from eventhub.web.forms import choices


class ImportForm(FlaskForm):
    kind = SelectField(
        _l("What the file holds"),
        choices=choices((k.value, KIND_LABELS[k]) for k in ImportKind),
        validators=[DataRequired()],
    )
    event = SelectField(
        _l("Event (for attendance)"),
        description=_l("Attendance is imported for one event at a time."),
        validators=[Optional()],
    )
    file = FileField(
        _l("File (CSV or XLSX)"),
        description=_l("Start from the template: the first row names the columns."),
        validators=[FileRequired(_l("Please choose a file."))],
        render_kw={"accept": ".csv,.xlsx,text/csv"},
    )
