"""Forms of the indicators pages: the report scope, the guidance log, survey instruments, and
the participant's survey."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from eventhub.core import labels
from eventhub.web.forms import MultiCheckboxField, choices


class ScopeForm(FlaskForm):
    """What a report covers, from the query string (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    project = SelectField(_l("Project"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    kind = SelectField(
        _l("Kind of event"),
        choices=choices(
            [("", _l("All kinds"))] + [(k.value, v) for k, v in labels.KIND_LABELS.items()]
        ),
        validators=[Optional()],
    )
    country = SelectField(
        _l("Country"),
        choices=choices(
            [("", _l("All countries"))] + [(k.value, v) for k, v in labels.COUNTRY_LABELS.items()]
        ),
        validators=[Optional()],
    )
    region = SelectField(_l("Region"), validators=[Optional()])
    municipality = SelectField(_l("Municipality"), validators=[Optional()])

    def validate_date_to(self, field):
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end of the period must not be before its start."))


class GuidanceForm(FlaskForm):
    organisation = StringField(
        _l("Organisation"),
        validators=[DataRequired(_l("Please name the organisation.")), Length(max=200)],
        description=_l("Start typing to choose a known one; a new name adds the organisation."),
        render_kw={"list": "organisation-names", "autocomplete": "off"},
    )
    municipality = SelectField(_l("Municipality of a new organisation"), validators=[Optional()])
    held_on = DateField(
        _l("Date"), validators=[InputRequired(_l("Please give the date as YYYY-MM-DD."))]
    )
    duration_minutes = IntegerField(
        _l("Duration in minutes"),
        validators=[Optional(), NumberRange(min=1, max=24 * 60)],
    )
    topics = MultiCheckboxField(
        _l("Topics"),
        validators=[DataRequired(_l("Please choose at least one topic."))],
        description=_l("A session on several topics counts under each of them."),
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=2000)],
        description=_l("For the project's own use. Do not write personal data here."),
    )


class TopicForm(FlaskForm):
    name = StringField(
        _l("New topic"), validators=[DataRequired(_l("Please name the topic.")), Length(max=120)]
    )


class InstrumentForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please name the survey.")), Length(max=200)]
    )
    is_thl = BooleanField(
        _l("This is the THL participation indicator (10 statements, answered 1-5)"),
    )
    introduction = TextAreaField(
        _l("Introduction shown above the statements"), validators=[Length(max=2000)]
    )
    statements = TextAreaField(
        _l("Statements, one per line"),
        validators=[DataRequired(_l("Please enter the statements.")), Length(max=10000)],
        description=_l(
            "For the THL participation indicator, enter THL's exact wording of its ten "
            "statements in the language of your participants: it must not be altered."
        ),
    )
    active = BooleanField(_l("Send this survey after events"), default=True)
    paired = BooleanField(
        _l("Ask it before and after instead (a pair per person, to measure the change)"),
        description=_l(
            "Mailed before a participant's first event and again when they leave the "
            "project, not after each event. The answers are kept with the person so that "
            "before and after can be matched; the report shows only the change over at "
            "least 5 people."
        ),
    )

    def statement_list(self) -> list[str]:
        return [line.strip() for line in (self.statements.data or "").splitlines()]


SCALE = choices(
    [
        ("1", _l("1 – Strongly disagree")),
        ("2", "2"),
        ("3", "3"),
        ("4", "4"),
        ("5", _l("5 – Strongly agree")),
    ]
)


def survey_form(statements: list[str]) -> FlaskForm:
    """A form with one 1-5 choice per statement, fields named s1, s2, ..."""

    class SurveyForm(FlaskForm):
        def values(self) -> list[int]:
            return [int(self[f"s{n}"].data) for n in range(1, len(statements) + 1)]

    for n, statement in enumerate(statements, 1):
        setattr(
            SurveyForm,
            f"s{n}",
            RadioField(
                statement,
                choices=SCALE,
                validators=[InputRequired(_l("Please choose a number from 1 to 5."))],
            ),
        )
    return SurveyForm()


class PeriodForm(FlaskForm):
    """The period of a project's Annex I, follow-up and volunteer-hours reports (GET)."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end of the period must not be before its start."))


class AnnexSettingsForm(FlaskForm):
    """Whether a project collects ESF+ Annex I data, and what its follow-ups ask."""

    collects_annex_i = BooleanField(_l("Ask the ESF+ Annex I questions at signup"))
    followup_items = MultiCheckboxField(
        _l("Result items asked by the follow-up questionnaires"),
        choices=choices((k.value, v) for k, v in labels.RESULT_ITEM_LABELS.items()),
        description=_l(
            "Mailed when a participant leaves (after their last event) and six months later. "
            "Choose none to send no follow-up questionnaires."
        ),
    )
    followup_after_days = IntegerField(
        _l("Days after the last event before a participant counts as leaving"),
        validators=[
            InputRequired(_l("Please give a number of days.")),
            NumberRange(1, 365, message=_l("Please give a number from 1 to 365.")),
        ],
    )


class VolunteerWorkForm(FlaskForm):
    """Hours of voluntary work by a participant of the event or by an organisation."""

    registration = SelectField(_l("Participant"), validators=[Optional()])
    organisation = StringField(
        _l("Or an organisation"),
        description=_l("For work an association did as a whole. Choose or type a name."),
        validators=[Optional(), Length(max=200)],
        render_kw={"list": "organisation-names", "autocomplete": "off"},
    )
    task = StringField(
        _l("Task"),
        validators=[DataRequired(_l("Please say what the work was.")), Length(max=200)],
        description=_l("For example: setting up the hall, serving coffee, clearing the trail."),
    )
    hours = StringField(
        _l("Hours"),
        validators=[DataRequired(_l("Please give the hours."))],
        render_kw={"inputmode": "decimal"},
    )
    worked_on = DateField(
        _l("Date"), validators=[InputRequired(_l("Please give the date as YYYY-MM-DD."))]
    )


def followup_form(items: list, statements: list[str]) -> FlaskForm:
    """The follow-up questionnaire: a yes or no per result item (fields r_<item>) and the
    paired survey's statements as the project wrote them (s1, s2, ...)."""
    yes_no = choices([("yes", _l("Yes")), ("no", _l("No"))])

    class FollowupForm(FlaskForm):
        def item_answers(self) -> dict:
            return {item: self[f"r_{item.value}"].data == "yes" for item in items}

        def values(self) -> list[int]:
            return [int(self[f"s{n}"].data) for n in range(1, len(statements) + 1)]

    for item in items:
        setattr(
            FollowupForm,
            f"r_{item.value}",
            RadioField(
                labels.RESULT_ITEM_QUESTIONS[item],
                choices=yes_no,
                validators=[InputRequired(_l("Please answer yes or no."))],
            ),
        )
    for n, statement in enumerate(statements, 1):
        setattr(
            FollowupForm,
            f"s{n}",
            RadioField(
                statement,
                choices=SCALE,
                validators=[InputRequired(_l("Please choose a number from 1 to 5."))],
            ),
        )
    return FollowupForm()
