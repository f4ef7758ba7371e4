"""Forms of attendance at the door: walk-ins, headcounts, closing an event."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from eventhub.core.models import Event
from eventhub.core.numbers import parse_id
from eventhub.core.services import organisations, places
from eventhub.web.forms import choices


class WalkInForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please write the person's name.")), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("Email (optional)"),
        description=_l("With an email the person is recognised at later events."),
        validators=[
            Optional(),
            Email(_l("Please check the email address."), check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )
    organisation = StringField(
        _l("Organisation (optional)"),
        validators=[Optional(), Length(max=200)],
        render_kw={"list": "organisations", "autocomplete": "off"},
    )
    municipality = SelectField(_l("Municipality (optional)"), validators=[Optional()])

    def fill_choices(self, event: Event) -> None:
        """Municipalities of the event's country (all when it has none), and organisation
        names to pick from."""
        where = places.choices_for(places.event_country(event))
        self.municipality.choices = choices(
            [("", _l("Choose…"))] + [(str(mid), name) for mid, name in where.municipalities]
        )
        self.organisation_names = organisations.confirmed_names()

    def municipality_id(self) -> int | None:
        return parse_id(self.municipality.data)


class HeadcountForm(FlaskForm):
    count = IntegerField(
        _l("People counted"),
        validators=[
            InputRequired(_l("Please give the number of people.")),
            NumberRange(min=0, max=100000, message=_l("Please give a number from 0 up.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    note = StringField(
        _l("What was counted (optional)"),
        description=_l("For example: audience of the opening talk."),
        validators=[Optional(), Length(max=200)],
    )


class CloseEventForm(FlaskForm):
    report = TextAreaField(
        _l("Closing report (optional)"),
        description=_l("A few lines for the project's records: how it went, what to remember."),
        validators=[Optional(), Length(max=5000)],
    )


class DeviceForm(FlaskForm):
    label = StringField(
        _l("Name of the device"),
        description=_l("So that you know which one to revoke, for example “Door phone 1”."),
        validators=[DataRequired(_l("Please name the device.")), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
