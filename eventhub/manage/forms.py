"""Organiser forms. Times are typed in the event's own timezone and stored in UTC."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from eventhub.core import labels
from eventhub.core.models import EventKind
from eventhub.core.numbers import parse_id
from eventhub.core.services import events
from eventhub.core.services.registration import MAX_COMPANIONS
from eventhub.web.forms import choices

TIMEZONES = ["Europe/Helsinki", "Europe/Riga", "Europe/Tallinn"]
EVENT_LANGUAGES = ["fi", "sv", "en", "lv", "et", "ru"]
LANGUAGE_LABELS = {
    "fi": "Suomi",
    "sv": "Svenska",
    "en": "English",
    "lv": "Latviešu",
    "et": "Eesti",
    "ru": "Русский",
}


class EventForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Please give the event a title.")), Length(max=200)],
    )
    kind = SelectField(
        _l("Kind of event"),
        choices=choices((k.value, v) for k, v in labels.KIND_LABELS.items()),
    )
    project = SelectField(_l("Project"), validators=[DataRequired(_l("Please choose a project."))])
    description = TextAreaField(_l("Description"), validators=[Length(max=10000)])
    timezone = SelectField(_l("Timezone"), choices=choices((tz, tz) for tz in TIMEZONES))
    starts = DateTimeLocalField(
        _l("Starts"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Please give the start as date and time."))],
    )
    ends = DateTimeLocalField(
        _l("Ends"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Please give the end as date and time."))],
    )
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    online_url = URLField(
        _l("Online link"),
        validators=[
            Optional(),
            URL(message=_l("Please give a full web address.")),
            Length(max=500),
        ],
    )
    municipality = SelectField(_l("Municipality"), validators=[Optional()])
    language = SelectField(
        _l("Language of the event"),
        choices=choices((code, LANGUAGE_LABELS[code]) for code in EVENT_LANGUAGES),
    )
    capacity = IntegerField(
        _l("Places"),
        description=_l("Leave empty for no limit."),
        validators=[Optional(), NumberRange(min=0, max=100000)],
    )
    waitlist_enabled = BooleanField(_l("Waiting list when full"), default=True)
    requires_approval = BooleanField(_l("Organiser approves each registration"))
    max_companions = IntegerField(
        _l("Companions per registration"),
        description=_l(
            "How many people (a family, colleagues) one person may sign up with them. "
            "Each takes a place. 0: everyone signs up alone."
        ),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_COMPANIONS, message=_l("From 0 to %(max)d.")),
        ],
    )
    groups_may_split = BooleanField(
        _l("A group may be split"),
        description=_l(
            "When a group does not fit, the places left go to its first members and the rest "
            "wait. Otherwise the group waits whole, and people behind it wait too."
        ),
    )
    registration_opens = DateTimeLocalField(
        _l("Registration opens"),
        format="%Y-%m-%dT%H:%M",
        description=_l("Empty: open as soon as the event is published."),
        validators=[Optional()],
    )
    registration_closes = DateTimeLocalField(
        _l("Registration closes"),
        format="%Y-%m-%dT%H:%M",
        description=_l("Empty: open until the event ends."),
        validators=[Optional()],
    )

    # The times stored so far, by field name, when an event is edited: a time the autumn
    # change repeats keeps which of the two it was while it is left as it was.
    stored: dict[str, datetime | None] = {}

    def _existing_time(self, field):
        """Refuse a wall time that does not exist in the event's timezone (the hour the
        clocks skip in spring); the database would otherwise get an end before the start."""
        if field.data is None or self.timezone.data not in TIMEZONES:
            return
        try:
            events.local_time(field.data, self.timezone.data)
        except events.NonexistentLocalTime:
            raise ValidationError(
                _l(
                    "%(time)s does not exist in %(zone)s: the clocks go forward an hour that "
                    "night. Please choose a time before or after the change.",
                    time=field.data.strftime("%H:%M"),
                    zone=self.timezone.data,
                )
            ) from None

    def validate_starts(self, field):
        self._existing_time(field)

    def validate_ends(self, field):
        self._existing_time(field)
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError(_l("The event must end after it starts."))

    def validate_registration_opens(self, field):
        self._existing_time(field)

    def validate_registration_closes(self, field):
        self._existing_time(field)
        opens = self.registration_opens.data
        if opens and field.data and field.data <= opens:
            raise ValidationError(_l("Registration must close after it opens."))

    def aware(self, value: datetime | None, name: str = "") -> datetime | None:
        """A time typed in the event's timezone, as an unambiguous instant (UTC)."""
        if value is None:
            return None
        return events.local_time(value, self.timezone.data, keep=self.stored.get(name))

    def changes(self) -> dict:
        """The event's fields from the form, ready for the events service."""
        return {
            "title": self.title.data.strip(),
            "kind": EventKind(self.kind.data),
            "project_id": int(self.project.data),
            "description": (self.description.data or "").strip(),
            "timezone": self.timezone.data,
            "starts_at": self.aware(self.starts.data, "starts_at"),
            "ends_at": self.aware(self.ends.data, "ends_at"),
            "venue": (self.venue.data or "").strip(),
            "address": (self.address.data or "").strip(),
            "online_url": (self.online_url.data or "").strip() or None,
            "municipality_id": parse_id(self.municipality.data),
            "language": self.language.data,
            "capacity": self.capacity.data,
            "waitlist_enabled": self.waitlist_enabled.data,
            "requires_approval": self.requires_approval.data,
            "max_companions": self.max_companions.data or 0,
            "groups_may_split": self.groups_may_split.data,
            "registration_opens_at": self.aware(
                self.registration_opens.data, "registration_opens_at"
            ),
            "registration_closes_at": self.aware(
                self.registration_closes.data, "registration_closes_at"
            ),
        }
