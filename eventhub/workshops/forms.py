"""Workshop series forms: one signup form for several sessions, and the organiser's series."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
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

from eventhub.core.models import Event, EventKind, EventQuestion, WorkshopSeries
from eventhub.core.services.signup import SignupData
from eventhub.core.services.workshops import DatePattern
from eventhub.web.forms import MultiCheckboxField, choices
from eventhub.web.signup_forms import SignupForm, build_form


def _sessions_or_whole(form, field):
    if not field.data and not form.whole_series.data:
        raise ValidationError(_l("Please choose at least one session."))


class SeriesSignupForm(SignupForm):
    whole_series = BooleanField(
        _l("Register for the whole series"),
        description=_l("Every date still to come, and the dates added to the series later."),
    )
    sessions = MultiCheckboxField(
        _l("Sessions"),
        description=_l("Choose one, several or all."),
        validators=[_sessions_or_whole],
    )


def _question_key(q: EventQuestion) -> tuple[str, str]:
    return (" ".join(q.label.split()).casefold(), q.type.value)


def series_form(series: WorkshopSeries, sessions: list[Event], **kwargs) -> SeriesSignupForm:
    """The common signup form, the sessions to choose, and the sessions' own questions,
    each asked once when several sessions ask the same (same wording and type)."""
    questions: dict[tuple[str, str], EventQuestion] = {}
    for session in sessions:
        for q in session.questions:
            questions.setdefault(_question_key(q), q)
    like_an_event = SimpleNamespace(
        kind=EventKind.WORKSHOP,
        questions=list(questions.values()),
        project=series.project,
        # Where the sessions are: the form offers that country's municipalities and places.
        municipality=next((s.municipality for s in sessions if s.municipality), None),
    )
    form = build_form(like_an_event, base=SeriesSignupForm, **kwargs)
    form.asked = questions
    return form


def data_for(form: SeriesSignupForm, data: SignupData):
    """Signup data per session: the answers keyed by that session's own question ids."""

    def for_session(event: Event) -> SignupData:
        answers = {}
        for q in event.questions:
            asked = form.asked.get(_question_key(q))
            if asked is not None and str(asked.id) in data.answers:
                answers[str(q.id)] = data.answers[str(asked.id)]
        return replace(data, answers=answers)

    return for_session


class SeriesForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please give a name.")), Length(max=200)]
    )
    project = SelectField(_l("Project"), validators=[InputRequired(_l("Please choose a project."))])
    description = TextAreaField(_l("Description (optional)"), validators=[Optional()])
    certificate_threshold = IntegerField(
        _l("Sessions attended for a certificate"),
        default=1,
        validators=[
            InputRequired(_l("Please give a number.")),
            NumberRange(min=1, max=1000, message=_l("At least one session.")),
        ],
    )
    sessions = MultiCheckboxField(_l("Sessions"), validators=[Optional()])


WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


class DatePatternForm(FlaskForm):
    """Dates for a series' sessions by a pattern; previewed before they are created."""

    title = StringField(
        _l("Title of each session (optional)"),
        description=_l("Empty: the name of the series."),
        validators=[Optional(), Length(max=200)],
    )
    first_day = DateField(_l("First day"), validators=[InputRequired(_l("Please give a date."))])
    last_day = DateField(_l("Last day"), validators=[InputRequired(_l("Please give a date."))])
    starts = TimeField(_l("Starts at"), validators=[InputRequired(_l("Please give a time."))])
    ends = TimeField(_l("Ends at"), validators=[InputRequired(_l("Please give a time."))])
    repeat = SelectField(
        _l("Repeats"),
        choices=choices([("weekly", _l("Weekly")), ("monthly", _l("Monthly"))]),
        default="weekly",
    )
    every = IntegerField(
        _l("Every how many weeks"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=12, message=_l("From 1 to 12."))],
    )
    weekdays = MultiCheckboxField(
        _l("On"),
        choices=choices((str(i), name) for i, name in enumerate(WEEKDAYS)),
        validators=[DataRequired(_l("Please choose at least one weekday."))],
    )
    nth = SelectField(
        _l("Monthly: which one"),
        description=_l("For example the second Tuesday of each month (the first weekday chosen)."),
        choices=choices(
            [
                ("1", _l("First")),
                ("2", _l("Second")),
                ("3", _l("Third")),
                ("4", _l("Fourth")),
                ("-1", _l("Last")),
            ]
        ),
        default="1",
    )
    skip = TextAreaField(
        _l("Skip these dates (optional)"),
        description=_l("Holidays: one date a line, like 2027-04-02."),
        validators=[Optional(), Length(max=2000)],
    )
    capacity = IntegerField(
        _l("Places at each session"),
        description=_l("Leave empty for no limit."),
        validators=[Optional(), NumberRange(min=0, max=100000)],
    )
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    publish = BooleanField(
        _l("Publish the sessions at once"),
        description=_l("Published sessions take everyone registered for the whole series."),
    )

    def validate_skip(self, field):
        self.skip_dates()

    def skip_dates(self) -> frozenset[date]:
        found = set()
        for line in (self.skip.data or "").split():
            try:
                found.add(date.fromisoformat(line.strip().rstrip(",")))
            except ValueError:
                raise ValidationError(
                    _l("%(value)s is not a date like 2027-04-02.", value=line)
                ) from None
        return frozenset(found)

    def pattern(self) -> DatePattern:
        monthly = self.repeat.data == "monthly"
        return DatePattern(
            first=self.first_day.data,
            last=self.last_day.data,
            weekdays=tuple(int(d) for d in self.weekdays.data),
            starts=self.starts.data,
            ends=self.ends.data,
            every=self.every.data or 1,
            monthly_nth=int(self.nth.data) if monthly else None,
            skip=self.skip_dates(),
        )
