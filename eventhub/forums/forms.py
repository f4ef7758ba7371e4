"""Forum forms: discussion groups on the signup form, and the organiser's programme."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from eventhub.core.models import Event, ProgrammeItem
from eventhub.core.services import forums
from eventhub.web.forms import choices as select_choices


def group_label(places: forums.GroupPlaces) -> str:
    group = places.group
    label = group.name + (f" ({group.room})" if group.room else "")
    left = places.seats_left
    if left is None:
        return label
    if left == 0:
        return f"{label} – {_l('full')}"
    return f"{label} – " + ngettext("%(num)d place left", "%(num)d places left", left)


def group_fields(event: Event) -> dict[str, RadioField]:
    """One choice per parallel session: its groups with places left, or no group."""
    items = [item for item in forums.programme(event.id) if item.parallel and item.groups]
    places = forums.group_places(items)
    fields = {}
    for item in items:
        start = item.starts_at.astimezone(event.tz)
        fields[f"fmt_{forums.FIELD_PREFIX}{item.id}"] = RadioField(
            f"{start:%H:%M} {item.title}",
            choices=select_choices(
                [("", _l("No group, or I decide later"))]
                + [(str(g.id), group_label(places[g.id])) for g in item.groups]
            ),
            default="",
            validators=[Optional()],
            description=_l("Choose the discussion group you want to join."),
        )
    return fields


def add_signup_fields(form_cls: type, event: Event) -> None:
    fields = group_fields(event)
    for name, field in fields.items():
        setattr(form_cls, name, field)
    if fields:
        form_cls.format_legend = _l("Discussion groups")


def groups_form(event: Event, choices: dict[int, int], **kwargs) -> FlaskForm:
    """The participant's own form on the manage link to change groups."""

    class GroupsForm(FlaskForm):
        pass

    for name, field in group_fields(event).items():
        setattr(GroupsForm, name, field)
    data = {f"fmt_{forums.FIELD_PREFIX}{item}": str(group) for item, group in choices.items()}
    return GroupsForm(data=data, **kwargs)


class ProgrammeItemForm(FlaskForm):
    starts = TimeField(_l("Starts"), validators=[InputRequired(_l("Please give a time."))])
    ends = TimeField(_l("Ends"), validators=[InputRequired(_l("Please give a time."))])
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please give a title.")), Length(max=200)]
    )
    room = StringField(_l("Room (optional)"), validators=[Optional(), Length(max=120)])
    speakers = StringField(_l("Speakers (optional)"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description (optional)"), validators=[Optional()])
    parallel = BooleanField(_l("Parallel discussion groups"))

    def validate_ends(self, field):
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError(_l("The session must end after it starts."))


class GroupForm(FlaskForm):
    group_item = SelectField(_l("Session"), validators=[InputRequired()])
    group_name = StringField(
        _l("Group name"), validators=[DataRequired(_l("Please give a name.")), Length(max=200)]
    )
    group_room = StringField(_l("Room (optional)"), validators=[Optional(), Length(max=120)])
    group_capacity = IntegerField(
        _l("Places (empty: no limit)"), validators=[Optional(), NumberRange(min=0, max=100000)]
    )


class HeadcountForm(FlaskForm):
    count_item = SelectField(_l("Session"), validators=[InputRequired()])
    count = IntegerField(
        _l("People counted"),
        validators=[InputRequired(_l("Please give the number.")), NumberRange(min=0, max=1000000)],
    )
    count_note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=200)])


class SettingsForm(FlaskForm):
    registration_optional = BooleanField(
        _l("Registration is optional: people may come without registering")
    )


def item_choices(items: list[ProgrammeItem], event: Event) -> list[SelectChoice]:
    return select_choices(
        (str(i.id), f"{i.starts_at.astimezone(event.tz):%H:%M} {i.title}") for i in items
    )
