"""Forms of the integrations pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from eventhub.core.services.api_tokens import Scope
from eventhub.core.services.webhooks import Action
from eventhub.web.forms import MultiCheckboxField, choices

SCOPE_LABELS = {
    Scope.READ_REGISTRATIONS: _l("Read registrations (names and email addresses)"),
    Scope.WRITE_EVENTS: _l("Create and change events"),
    Scope.WRITE_REGISTRATIONS: _l("Add and cancel registrations"),
    Scope.WRITE_ATTENDANCE: _l("Record attendance and headcounts"),
}

ACTION_LABELS = {
    Action.REGISTRATION_CREATED: _l("A registration is made"),
    Action.REGISTRATION_CHANGED: _l("A registration changes (details, approval)"),
    Action.REGISTRATION_CANCELLED: _l("A registration is cancelled"),
    Action.REGISTRATION_PROMOTED: _l("Someone gets a place from the waiting list"),
    Action.EVENT_PUBLISHED: _l("An event is published"),
    Action.EVENT_CHANGED: _l("A published event changes"),
    Action.EVENT_CANCELLED: _l("An event is cancelled"),
    Action.ATTENDANCE_RECORDED: _l("Attendance is recorded"),
}


class TokenForm(FlaskForm):
    label = StringField(
        _l("Name of the token"),
        description=_l("Which system uses it, e.g. the member register."),
        validators=[DataRequired(_l("Please name the token.")), Length(max=100)],
    )
    scopes = MultiCheckboxField(
        _l("Permissions"),
        choices=choices((s.value, label) for s, label in SCOPE_LABELS.items()),
        validators=[DataRequired(_l("Choose at least one permission for the token."))],
    )


class WebhookForm(FlaskForm):
    url = StringField(
        _l("Address"),
        description=_l("Where the notices are sent, starting with https://."),
        validators=[DataRequired(_l("Please give the address.")), Length(max=500)],
    )
    actions = MultiCheckboxField(
        _l("Send a notice when"),
        choices=choices((a.value, label) for a, label in ACTION_LABELS.items()),
        validators=[DataRequired(_l("Choose at least one kind of change to send."))],
    )


class OriginsForm(FlaskForm):
    origins = TextAreaField(
        _l("Sites that may embed the events"),
        description=_l("One site a line, like https://www.example.fi."),
        validators=[Length(max=6000)],
    )
