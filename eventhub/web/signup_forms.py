"""The signup form, built for each event with the event's own questions."""

from __future__ import annotations

import threading
from functools import cached_property

from cachetools import LRUCache
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from eventhub.core import labels
from eventhub.core.models import (
    AgeBand,
    Event,
    EventQuestion,
    Gender,
    LabourStatus,
    QuestionType,
)
from eventhub.core.numbers import parse_id
from eventhub.core.services import formats, organisations, places
from eventhub.core.services import questions as question_rules
from eventhub.core.services.signup import Companion, SignupData
from eventhub.web import fragments
from eventhub.web.forms import CachedMessagesMeta, MultiCheckboxField, choices

NAME_MAX = 200
TEXT_MAX = 2000


def _strip(value):
    """A choice sent as spaces is no choice (Optional() lets it through unchecked)."""
    return value.strip() if isinstance(value, str) else value


def _optional_choice(mapping) -> list[SelectChoice]:
    return choices([("", _l("Choose…")), *((k.value, v) for k, v in mapping.items())])


class DetailsForm(FlaskForm):
    """What a participant can edit on their registration, email aside."""

    Meta = CachedMessagesMeta  # the signup path validates a form in every request

    # Set on each event's form class (see _event_form_class): when each of its questions
    # is shown, keyed by field name, and for the page the field and answers that show it.
    visibility_rules: list[question_rules.Rule] = []
    question_conditions: dict[str, tuple[str, list[str]]] = {}

    name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Please enter your name.")), Length(max=NAME_MAX)],
        render_kw={"autocomplete": "name"},
    )
    phone = TelField(
        _l("Phone (optional)"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^[+0-9 ()-]{5,40}$", message=_l("Please enter a phone number.")),
        ],
        render_kw={"autocomplete": "tel"},
    )
    organisation = StringField(
        _l("Organisation (optional)"),
        description=_l("The association or body you come on behalf of. Choose or type a name."),
        validators=[Optional(), Length(max=NAME_MAX)],
        render_kw={"list": "organisations", "autocomplete": "organization"},
    )
    municipality = SelectField(
        _l("Municipality (optional)"), validators=[Optional()], filters=[_strip]
    )
    accessibility_needs = TextAreaField(
        _l("Accessibility needs (optional)"),
        description=_l("For example a hearing loop, step-free access or an interpreter."),
        validators=[Optional(), Length(max=TEXT_MAX)],
    )
    dietary_needs = TextAreaField(
        _l("Dietary needs (optional)"), validators=[Optional(), Length(max=TEXT_MAX)]
    )

    @cached_property
    def organisation_names(self) -> list[str]:
        """Suggestions for the organisation field, read only when a page shows them (a
        successful POST redirects without them)."""
        return organisations.confirmed_names()

    def question_fields(self) -> list[Field]:
        return [f for f in self if f.name.startswith("q_")]

    def shown_question_names(self) -> set[str]:
        """The questions shown for the answers in the form (every one without conditions)."""
        answers = {f.name: f.data for f in self.question_fields()}
        return question_rules.shown(self.visibility_rules, answers)

    def validate(self, extra_validators=None) -> bool:
        """The usual validation, except that a question the answers hide is never required
        and its answer is dropped: without JavaScript every question is on the page."""
        valid = super().validate(extra_validators)
        if not self.question_conditions:
            return valid
        shown = self.shown_question_names()
        for field in self.question_fields():
            if field.name not in shown:
                field.errors = []
                field.data = [] if isinstance(field, MultiCheckboxField) else None
        return not self.errors

    def background_fields(self) -> list[Field]:
        return [f for f in self if f.name in ("gender", "age_band", "labour_status")]

    def format_fields(self) -> list[Field]:
        """Fields the event's format adds (see eventhub.registration.format_fields)."""
        return [f for f in self if f.name.startswith("fmt_")]

    def companion_fieldsets(self) -> list[tuple[Field, Field, Field]]:
        """The companions' fieldsets (name, email, age band), one per companion allowed."""
        return [
            (self[f"companion_{i}_name"], self[f"companion_{i}_email"], self[f"companion_{i}_age"])
            for i in range(getattr(self, "companion_slots", 0))
        ]

    def companions(self) -> list[Companion]:
        """The companions filled in; empty fieldsets are ignored."""
        return [
            Companion(
                name=name.data.strip(),
                email=(email.data or "").strip() or None,
                age_band=AgeBand(age.data) if age.data else None,
            )
            for name, email, age in self.companion_fieldsets()
            if (name.data or "").strip()
        ]

    def signup_data(self, locale: str, email: str) -> SignupData:
        return SignupData(
            companions=self.companions(),
            name=self.name.data.strip(),
            email=email,
            locale=locale,
            phone=(self.phone.data or "").strip() or None,
            organisation_name=(self.organisation.data or "").strip() or None,
            municipality_id=parse_id(self.municipality.data),
            place_id=parse_id(getattr(getattr(self, "place", None), "data", None)),
            accessibility_needs=(self.accessibility_needs.data or "").strip(),
            dietary_needs=(self.dietary_needs.data or "").strip(),
            answers={
                f.name.removeprefix("q_"): _clean_answer(f.data) for f in self.question_fields()
            },
            gender=_enum_or_none(Gender, getattr(self, "gender", None)),
            age_band=_enum_or_none(AgeBand, getattr(self, "age_band", None)),
            labour_status=_enum_or_none(LabourStatus, getattr(self, "labour_status", None)),
            format_data={
                f.name.removeprefix("fmt_"): _clean_answer(f.data) for f in self.format_fields()
            },
        )


class SignupForm(DetailsForm):
    email = EmailField(
        _l("Email"),
        description=_l("Your confirmation and a link to manage your registration are sent here."),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Email(_l("Please enter a valid email address, like name@example.fi.")),
            Length(max=254),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "email"},
    )
    consent = BooleanField(
        _l("I have read the privacy notice and agree that my details are used for this event."),
        validators=[InputRequired(_l("Please accept the privacy notice to register."))],
    )


def _clean_answer(value):
    if isinstance(value, str):
        return value.strip()
    return value


def _enum_or_none(enum_cls, field):
    if field is None or not field.data:
        return None
    return enum_cls(field.data)


def _question_field(q: EventQuestion, locale: str, condition: str = "") -> Field:
    """The field of one question in ``locale`` (its translation where there is one); a
    choice is always sent and stored as written in the event's language."""
    text = q.text_in(locale)
    required = DataRequired(_l("Please answer this question.")) if q.required else Optional()
    kw = {"description": " ".join(filter(None, (text.help_text, condition))) or None}
    if q.type == QuestionType.SHORT_TEXT:
        return StringField(text.label, validators=[required, Length(max=NAME_MAX)], **kw)
    if q.type == QuestionType.LONG_TEXT:
        return TextAreaField(text.label, validators=[required, Length(max=TEXT_MAX)], **kw)
    if q.type == QuestionType.SINGLE_CHOICE:
        validators = [InputRequired(_l("Please choose one."))] if q.required else [Optional()]
        return RadioField(text.label, choices=choices(text.choices), validators=validators, **kw)
    if q.type == QuestionType.MULTIPLE_CHOICE:
        validators = [DataRequired(_l("Please choose at least one."))] if q.required else []
        return MultiCheckboxField(
            text.label, choices=choices(text.choices), validators=validators, **kw
        )
    validators = [InputRequired(_l("Please answer yes or no."))] if q.required else [Optional()]
    return RadioField(text.label, choices=_yes_no(), validators=validators, **kw)


def _yes_no() -> list[SelectChoice]:
    return choices([("yes", _l("Yes")), ("no", _l("No"))])


def condition_text(controlling: EventQuestion, answers: list[str], locale: str) -> str:
    """ "Answer only if you answered “Yes” to “Do you need a meal?”", in ``locale``."""
    text = controlling.text_in(locale)
    if controlling.type == QuestionType.YES_NO:
        shown = {c.value: str(c.label) for c in _yes_no()}
    else:
        shown = dict(text.choices)
    quoted = [f"“{shown.get(a, a)}”" for a in answers]
    if len(quoted) == 1:
        return _(
            "Answer only if you answered %(answer)s to “%(question)s”.",
            answer=quoted[0],
            question=text.label,
        )
    return _(
        "Answer only if you answered one of %(answers)s to “%(question)s”.",
        answers=", ".join(quoted),
        question=text.label,
    )


_cache_lock = threading.Lock()


def _caches() -> dict:
    """This application's caches (one set per app, so tests with their own databases never
    share them)."""
    return current_app.extensions.setdefault(
        "eventhub_signup_forms",
        {"forms": LRUCache(maxsize=1024), "places": LRUCache(maxsize=16)},
    )


def build_form(event: Event, base: type[DetailsForm] = SignupForm, **kwargs) -> DetailsForm:
    """The form for this event: the common fields, the event's own questions, the voluntary
    background questions of projects that report to ESF+, and the format's fields.

    The form class with the event's questions is built once per event *revision* and
    language: the key is the event's ``updated_at``, read with the event on every request,
    so a process never serves questions older than the row it just read (every change in
    :mod:`eventhub.core.services.questions` touches the event), and the reader's language
    (questions may be translated). The format's fields are added per request: they may depend on
    other rows (a forum's groups filling up).
    """
    collects = event.project is not None and event.project.collects_background
    key = None
    if not isinstance(event, Event):  # a stand-in (a workshop series' common form): no revision
        cls = _event_form_class(event, base, collects)
    else:
        key = (base, event.id, event.updated_at, collects, str(get_locale()))
        forms = _caches()["forms"]
        with _cache_lock:
            cls = forms.get(key)
        if cls is None:
            cls = _event_form_class(event, base, collects)
            with _cache_lock:
                forms[key] = cls
    # Where people come from: the municipalities of the event's country, and the places below
    # them where the country has any (a parish of a Latvian novads).
    country = places.event_country(event)
    where = _places(country)
    with_format = issubclass(base, SignupForm) and formats.has_signup_fields(event)
    if with_format or where.places:

        class PerRequest(cls):  # type: ignore[misc, valid-type]
            pass

        if with_format:
            formats.add_signup_fields(PerRequest, event)
        if where.places:
            PerRequest.place = SelectField(
                _l("Place (optional)"),
                description=_l("The parish or village you live in, if it is listed."),
                choices=choices(
                    [("", _l("Choose…"))]
                    + [
                        (str(pid), f"{name} ({municipality})")
                        for municipality, listed in where.places
                        for pid, name in listed
                    ]
                ),
                validators=[Optional()],
            )
        cls = PerRequest
    form = cls(**kwargs)
    form.municipality.choices = choices(
        [("", _l("Choose…"))] + [(str(mid), name) for mid, name in where.municipalities]
    )
    # What the form's fields depend on when nobody has filled them in: the form class's key
    # and the places' revision; none when a format adds fields (a forum's groups fill up)
    # or the form starts with data (a participant's own details).
    keep = key is not None and not with_format and not kwargs
    form.revision_key = (*key, country, places.revision()) if keep else None
    return form


def form_fields_html(form: DetailsForm, render) -> Markup | None:
    """The fields of a form nobody has filled in yet (a GET), rendered once per
    :attr:`revision_key` and kept (:mod:`eventhub.web.fragments`), or None for a form that must
    be rendered afresh (filled in, with errors, with per-request fields). ``render(form)``
    renders them; the CSRF token and the organisation suggestions are never part of it."""
    key = getattr(form, "revision_key", None)
    if key is None or form.is_submitted() or form.errors:
        return None
    return fragments.kept(("form fields", *key), lambda: render(form))


def _places(country) -> places.CountryChoices:
    """A country's municipalities and places, cached per revision of the places (see
    :func:`places.revision`: a change shows at once in this process, within seconds in
    the others)."""
    key = (country, places.revision())
    cache = _caches()["places"]
    with _cache_lock:
        found = cache.get(key)
    if found is None:
        found = places.choices_for(country)
        with _cache_lock:
            cache[key] = found
    return found


def _companion_fields(form_cls: type, slots: int) -> None:
    """Fixed fieldsets, one per companion the event allows: the form works without
    JavaScript, and the ones left empty are ignored."""
    form_cls.companion_slots = slots
    for i in range(slots):
        setattr(
            form_cls,
            f"companion_{i}_name",
            StringField(
                _l("Name"),
                # No Optional(): it would clear the error of a name left out.
                validators=[_companion_named(i), Length(max=NAME_MAX)],
                filters=[_strip],
            ),
        )
        setattr(
            form_cls,
            f"companion_{i}_email",
            EmailField(
                _l("Email (optional)"),
                description=_l("Without one, we write to you about them."),
                validators=[
                    Optional(),
                    Email(_l("Please enter a valid email address, like name@example.fi.")),
                    Length(max=254),
                ],
                filters=[_strip],
            ),
        )
        setattr(
            form_cls,
            f"companion_{i}_age",
            SelectField(
                _l("Age (optional)"),
                choices=_optional_choice(labels.AGE_BAND_LABELS),
                validators=[Optional()],
                filters=[_strip],
            ),
        )


def _companion_named(i: int):
    def check(form, field):
        others = (form[f"companion_{i}_email"].data, form[f"companion_{i}_age"].data)
        if not field.data and any(others):
            raise ValidationError(_l("Please give the companion's name."))

    return check


def _event_form_class(event: Event, base: type[DetailsForm], collects: bool) -> type:
    class EventForm(base):  # type: ignore[misc, valid-type]
        pass

    slots = getattr(event, "max_companions", 0)
    if slots and issubclass(base, SignupForm):
        _companion_fields(EventForm, slots)

    locale = str(get_locale())
    asked = list(event.questions)
    controlling = _controlling(asked)
    conditions: dict[str, tuple[str, list[str]]] = {}
    for q in asked:
        note = ""
        if q.id in controlling:
            shown_by = controlling[q.id]
            conditions[f"q_{q.id}"] = (f"q_{shown_by.id}", list(q.condition_answers))
            note = condition_text(shown_by, list(q.condition_answers), locale)
        setattr(EventForm, f"q_{q.id}", _question_field(q, locale, note))
    EventForm.question_conditions = conditions
    EventForm.visibility_rules = [
        question_rules.Rule(f"q_{q.id}", name, frozenset(answers))
        for q in asked
        for name, answers in [conditions.get(f"q_{q.id}", (None, []))]
    ]
    if collects:
        hint = _l("Voluntary. Used only in anonymous statistics for the funder; never shown.")
        EventForm.gender = RadioField(
            _l("Gender"),
            choices=choices((k.value, v) for k, v in labels.GENDER_LABELS.items()),
            validators=[Optional()],
            filters=[_strip],
            description=hint,
        )
        EventForm.age_band = SelectField(
            _l("Age"),
            choices=_optional_choice(labels.AGE_BAND_LABELS),
            validators=[Optional()],
            filters=[_strip],
            description=hint,
        )
        EventForm.labour_status = SelectField(
            _l("Labour market status"),
            choices=_optional_choice(labels.LABOUR_STATUS_LABELS),
            validators=[Optional()],
            filters=[_strip],
            description=hint,
        )
    return EventForm


def _controlling(asked: list[EventQuestion]) -> dict[int, EventQuestion]:
    """The question on this form that shows each conditional question, by the conditional
    question's id. A workshop series' common form asks one question for several sessions
    that ask the same (same wording and type): a condition on another session's copy means
    the copy asked here."""
    on_form = {q.id: q for q in asked}
    same = {(" ".join(q.label.split()).casefold(), q.type): q for q in asked}
    found = {}
    for q in asked:
        if q.condition_question_id is None or not q.condition_answers:
            continue
        shown_by = on_form.get(q.condition_question_id)
        if shown_by is None and q.condition_question is not None:
            c = q.condition_question
            shown_by = same.get((" ".join(c.label.split()).casefold(), c.type))
        if shown_by is not None:
            found[q.id] = shown_by
    return found


class CompanionForm(FlaskForm):
    """The person who signed up corrects one companion from the manage page."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please give the companion's name.")), Length(max=NAME_MAX)],
        filters=[_strip],
    )
    age_band = SelectField(
        _l("Age (optional)"),
        choices=_optional_choice(labels.AGE_BAND_LABELS),
        validators=[Optional()],
        filters=[_strip],
    )


class LostLinkForm(FlaskForm):
    """ "Lost your link?": the address whose registration links are mailed again."""

    email = EmailField(
        _l("Email"),
        description=_l("The address you registered with."),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Email(_l("Please enter a valid email address, like name@example.fi.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )
