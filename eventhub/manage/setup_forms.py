"""Forms of the set-up pages: projects, places, organisations and accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from eventhub.core import labels
from eventhub.core.models import Country, EventKind, Role
from eventhub.manage.forms import EVENT_LANGUAGES, LANGUAGE_LABELS, TIMEZONES
from eventhub.web.forms import MultiCheckboxField, choices

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator (everything)"),
    Role.MANAGER: _l("Project manager (the projects chosen below)"),
    Role.CHECKIN: _l("Check-in staff (attendance at the door only)"),
}


def _country_choices(empty: str | None = None):
    pairs = [(c.value, labels.COUNTRY_LABELS[c]) for c in Country]
    return choices(([("", empty)] if empty else []) + pairs)


class ProjectForm(FlaskForm):
    code = StringField(
        _l("Project code"),
        description=_l("As the funder writes it, for example 2024.LV/NVOF/MAC/003."),
        validators=[DataRequired(_l("Please give the project's code.")), Length(max=64)],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please give the project a name.")), Length(max=200)],
    )
    organiser = StringField(_l("Organisation running the project"), [Optional(), Length(max=200)])
    funder = StringField(_l("Funder"), [Optional(), Length(max=200)])
    programme = StringField(_l("Programme"), [Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), [Optional(), Length(max=10000)])
    starts_on = DateField(
        _l("Project starts"), validators=[DataRequired(_l("Please give the start date."))]
    )
    ends_on = DateField(
        _l("Project ends"), validators=[DataRequired(_l("Please give the end date."))]
    )
    region = StringField(_l("Region"), [Optional(), Length(max=120)])
    country = SelectField(
        _l("Country"),
        choices=_country_choices(),
        description=_l("Signup forms offer the municipalities and places of this country."),
    )
    timezone = SelectField(
        _l("Timezone"),
        choices=choices((tz, tz) for tz in TIMEZONES),
        description=_l("New events of the project start in this timezone."),
    )
    language = SelectField(
        _l("Language"),
        choices=choices((code, LANGUAGE_LABELS[code]) for code in EVENT_LANGUAGES),
        description=_l("New events of the project start in this language."),
    )
    contact_email = EmailField(
        _l("Contact address"),
        description=_l(
            "Replies to the project's mail go here, and calendars show it as the organiser."
        ),
        validators=[
            Optional(),
            Email(_l("Please enter a valid email address, like name@example.fi.")),
            Length(max=254),
        ],
    )
    planned_participants = IntegerField(
        _l("Participants planned"),
        validators=[Optional(), NumberRange(min=0, max=10_000_000)],
    )
    planned_organisations = IntegerField(
        _l("Organisations planned"),
        validators=[Optional(), NumberRange(min=0, max=1_000_000)],
    )
    collects_background = BooleanField(
        _l("Ask the ESF+ background questions (gender, age, labour market status)")
    )
    retention_days = IntegerField(
        _l("Keep personal data for (days after the project ends)"),
        default=5 * 365,
        validators=[
            InputRequired(_l("Please give the retention period in days.")),
            NumberRange(min=1, max=36500, message=_l("Please give a number of days from 1 up.")),
        ],
    )

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The project cannot end before it starts."))

    def values(self) -> dict:
        def text(field) -> str:
            return (field.data or "").strip()

        return {
            "code": text(self.code),
            "name": text(self.name),
            "organiser": text(self.organiser),
            "funder": text(self.funder),
            "programme": text(self.programme),
            "description": text(self.description),
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "region": text(self.region),
            "country": Country(self.country.data),
            "timezone": self.timezone.data,
            "language": self.language.data,
            "contact_email": text(self.contact_email).lower() or None,
            "planned_participants": self.planned_participants.data,
            "planned_organisations": self.planned_organisations.data,
            "collects_background": self.collects_background.data,
            "retention_days": self.retention_days.data,
        }

    # The planned events by kind are fields of their own, one per kind: target_<kind>.
    def targets(self) -> dict[EventKind, int | None]:
        return {kind: getattr(self, f"target_{kind.value}").data for kind in EventKind}

    def target_fields(self):
        return [getattr(self, f"target_{kind.value}") for kind in EventKind]


for _kind in EventKind:
    setattr(
        ProjectForm,
        f"target_{_kind.value}",
        IntegerField(
            labels.KIND_LABELS[_kind],
            validators=[
                Optional(),
                NumberRange(min=0, max=100000, message=_l("Please give a number from 0 up.")),
            ],
        ),
    )


class MunicipalityForm(FlaskForm):
    country = SelectField(_l("Country"), choices=_country_choices())
    name = StringField(
        _l("Municipality"),
        validators=[DataRequired(_l("Please give the municipality's name.")), Length(max=120)],
    )
    region = StringField(
        _l("Region"),
        description=_l("Maakunta, reģions or maakond."),
        validators=[DataRequired(_l("Please give the region.")), Length(max=120)],
    )


class PlaceForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please give the place's name.")), Length(max=120)],
    )


class PlacesForm(FlaskForm):
    names = TextAreaField(
        _l("Places to add"),
        description=_l("One per line, for example the parishes of a Latvian municipality."),
        validators=[DataRequired(_l("Please give at least one place.")), Length(max=10000)],
    )

    def validate_names(self, field):
        if any(len(n.strip()) > 120 for n in field.data.splitlines()):
            raise ValidationError(_l("A place's name can be at most 120 characters."))

    def name_list(self) -> list[str]:
        return [n.strip() for n in (self.names.data or "").splitlines() if n.strip()]


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please give the organisation's name.")), Length(max=200)],
    )
    business_id = StringField(
        _l("Business ID"),
        description=_l("Y-tunnus, reģistrācijas numurs or registrikood; optional."),
        validators=[Optional(), Length(max=32)],
    )
    municipality = SelectField(_l("Municipality"), validators=[Optional()])

    def municipality_id(self) -> int | None:
        return int(self.municipality.data) if self.municipality.data else None


class MergeForm(FlaskForm):
    other = SelectField(
        _l("Merge this organisation into"),
        validators=[DataRequired(_l("Please choose the organisation to keep."))],
    )


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Please give the colleague's email address.")),
            Email(_l("Please enter a valid email address, like name@example.fi.")),
            Length(max=254),
        ],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please give a name.")), Length(max=200)]
    )
    role = SelectField(_l("Role"))
    projects = MultiCheckboxField(_l("Projects"))

    def fill(self, roles: list[Role], projects) -> None:
        self.role.choices = choices((r.value, ROLE_LABELS[r]) for r in roles)
        self.projects.choices = choices((str(p.id), f"{p.code} {p.name}") for p in projects)

    def validate_projects(self, field):
        if self.role.data == Role.MANAGER.value and not field.data:
            raise ValidationError(_l("A project manager needs at least one project."))

    def project_ids(self) -> set[int]:
        return {int(v) for v in self.projects.data or []}


class UserForm(InviteForm):
    """Editing an account: its address stays (it is the username)."""

    email = None
