"""Workshop series forms: one signup form for several sessions, and the organiser's series."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from eventhub.core.models import Event, EventKind, EventQuestion, WorkshopSeries
from eventhub.core.services.signup import SignupData
from eventhub.web.forms import MultiCheckboxField
from eventhub.web.signup_forms import SignupForm, build_form


class SeriesSignupForm(SignupForm):
    sessions = MultiCheckboxField(
        _l("Sessions"),
        description=_l("Choose one, several or all."),
        validators=[DataRequired(_l("Please choose at least one session."))],
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
