"""Forms of the organiser's registration pages: adding someone by hand, messaging everyone."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length

from eventhub.core import labels
from eventhub.core.models import Event
from eventhub.core.services import registrations_admin
from eventhub.core.services.signup import Placement
from eventhub.web.forms import choices
from eventhub.web.signup_forms import DetailsForm, build_form


class ManualRegistrationForm(DetailsForm):
    """The signup form as an organiser fills it in for someone (a phone call, a paper form)."""

    email = EmailField(
        _l("Email"),
        description=_l("The confirmation and a link to manage the registration are sent here."),
        validators=[
            DataRequired(_l("Please enter the person's email address.")),
            Email(_l("Please enter a valid email address, like name@example.fi.")),
            Length(max=254),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    locale = SelectField(_l("Language of the messages"))
    placement = RadioField(
        _l("Place"),
        choices=choices(
            [
                (Placement.PLACE.value, _l("A confirmed place (refused if the event is full)")),
                (
                    Placement.PLACE_OR_WAITLIST.value,
                    _l("A place if one is free, otherwise the waiting list"),
                ),
            ]
        ),
        default=Placement.PLACE.value,
        validators=[InputRequired(_l("Please choose what the person gets."))],
    )
    send_mail = BooleanField(
        _l("Send the person their confirmation by email"),
        description=_l(
            "Ticked for events still to come. For an event that is over, nothing is sent "
            "unless you tick it."
        ),
    )
    consent = BooleanField(
        _l("The person has agreed that their details are used for this event."),
        validators=[InputRequired(_l("Please confirm that the person has agreed."))],
    )


def manual_registration_form(event: Event, **kwargs) -> ManualRegistrationForm:
    """The form for this event, with its own questions; messages default to the event's
    language when the site speaks it."""
    languages = current_app.config["LANGUAGES"]
    default = event.language if event.language in languages else languages[0]
    form = build_form(event, base=ManualRegistrationForm, **kwargs)
    form.locale.choices = choices(
        (code, labels.LANGUAGE_NAMES.get(code, code)) for code in languages
    )
    if not form.is_submitted():
        form.locale.data = default
        form.send_mail.data = registrations_admin.mail_by_default(event)
    return form


class MessageForm(FlaskForm):
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(_l("Please write a subject.")), Length(max=200)],
        # One line: a line break in a mail header would be refused by the mail sender.
        filters=[lambda value: " ".join(value.split()) if isinstance(value, str) else value],
    )
    body = TextAreaField(
        _l("Message"),
        description=_l(
            "Sent as you write it, greeting and all. The event's time and place and each "
            "participant's own link to their registration are added below your message."
        ),
        validators=[DataRequired(_l("Please write the message.")), Length(max=10000)],
        render_kw={"rows": 10},
    )
