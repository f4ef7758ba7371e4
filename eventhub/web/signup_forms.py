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
    IntegerField,
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
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from eventhub.core import labels
from eventhub.core.models import (
    AgeBand,
    Education,
    Event,
    EventQuestion,
    Gender,
    LabourStatus,
    QuestionType,
)
from eventhub.core.numbers import parse_id
from eventhub.core.services import annex, formats, organisations, places
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

    def annex_fields(self) -> list[Field]:
        """The ESF+ Annex I questions (projects that collect them)."""
        return [f for f in self if f.name.startswith("annex_")]

    def special_fields(self) -> list[Field]:
        """The special-category questions; empty unless the form offers them."""
        return [f for f in self if f.name.startswith("special_") and f.name != "special_consent"]

    @property
    def offers_special(self) -> bool:
        return hasattr(self, "special_consent")

    @property
    def show_special(self) -> bool:
        """The special-category questions are shown only once the consent is ticked."""
        return self.offers_special and bool(self.special_consent.data)

    def asks_for_special_questions(self, posted) -> bool:
        """The participant pressed "show these questions" (no JavaScript needed): the view
        shows the form again, nothing is saved."""
        return self.offers_special and "show_special" in posted

    def _annex_data(self) -> annex.AnnexData | None:
        if not hasattr(self, "annex_education"):
            return None
        return annex.AnnexData(
            birth_year=self.annex_birth_year.data,
            education=_enum_or_none(Education, self.annex_education),
            third_country_national=_yes_no_answer(self.annex_third_country_national),
            homeless=_yes_no_answer(self.annex_homeless),
            rural=_yes_no_answer(self.annex_rural),
        )

    def _special_data(self) -> annex.SpecialData | None:
        # Without the consent nothing is read, whatever was posted.
        if not self.show_special:
            return None
        return annex.SpecialData(
            disability=_yes_no_answer(self.special_disability),
            foreign_background=_yes_no_answer(self.special_foreign_background),
            minority=_yes_no_answer(self.special_minority),
        )

    def format_fields(self) -> list[Field]:
        """Fields the event's format adds (see eventhub.registration.format_fields)."""
        return [f for f in self if f.name.startswith("fmt_")]

    def companion_fieldsets(self) -> list[tuple[Field, Field, Field]]:
        """The companions' fieldsets (name, email, age band), one per companion allowed."""
        return [
            (self[f"companion_{i}_name"], self[f"companion_{i}_email"], self[f"companion_{i}_age"])
            for i in range(getattr(self, "companion_slots", 0))
        ]

    def companion_question_fields(self, i: int) -> list[Field]:
        """Companion ``i``'s answers to the questions asked of each companion too."""
        return [self[f"companion_{i}_q_{qid}"] for qid in getattr(self, "companion_questions", ())]

    def companions(self) -> list[Companion]:
        """The companions filled in; empty fieldsets are ignored."""
        return [
            Companion(
                name=name.data.strip(),
                email=(email.data or "").strip() or None,
                age_band=AgeBand(age.data) if age.data else None,
                answers={
                    f.name.rsplit("_q_", 1)[1]: _clean_answer(f.data)
                    for f in self.companion_question_fields(i)
                },
            )
            for i, (name, email, age) in enumerate(self.companion_fieldsets())
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
            annex=self._annex_data(),
            special=self._special_data(),
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


def _yes_no_answer(field) -> bool | None:
    return {"yes": True, "no": False}.get(field.data or "")


def yes_no_value(value: bool | None) -> str | None:
    """A stored yes/no answer as the form's value."""
    return None if value is None else ("yes" if value else "no")


def annex_form_data(registration) -> dict:
    """The starting values of the Annex I fields: what this registration answered."""
    given, special = annex.answers_of(registration)
    data = {
        "annex_birth_year": given.birth_year,
        "annex_education": given.education.value if given.education else "",
        "annex_third_country_national": yes_no_value(given.third_country_national),
        "annex_homeless": yes_no_value(given.homeless),
        "annex_rural": yes_no_value(given.rural),
    }
    if special is not None:
        data["special_consent"] = True
        data |= {
            f"special_{name}": yes_no_value(getattr(special, name)) for name in annex.SPECIAL_FIELDS
        }
    return data


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
    project = event.project
    annex_i = project is not None and project.collects_annex_i
    collects = project is not None and (project.collects_background or annex_i)
    key = None
    if not isinstance(event, Event):  # a stand-in (a workshop series' common form): no revision
        cls = _event_form_class(event, base, collects, annex_i)
    else:
        key = (base, event.id, event.updated_at, collects, annex_i, str(get_locale()))
        forms = _caches()["forms"]
        with _cache_lock:
            cls = forms.get(key)
        if cls is None:
            cls = _event_form_class(event, base, collects, annex_i)
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


def _companion_fields(form_cls: type, slots: int, asked: list[EventQuestion], locale: str) -> None:
    """Fixed fieldsets, one per companion the event allows: the form works without
    JavaScript, and the ones left empty are ignored. Each asks the questions marked for
    companions too (never conditional, see questions.for_companions)."""
    form_cls.companion_slots = slots
    form_cls.companion_questions = tuple(q.id for q in asked)
    for i in range(slots):
        for q in asked:
            setattr(form_cls, f"companion_{i}_q_{q.id}", _companion_question_field(q, locale, i))
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


def _companion_question_field(q: EventQuestion, locale: str, i: int) -> Field:
    """A question of the event in companion ``i``'s fieldset: answered only for a companion
    who is named (an empty fieldset is no companion), required then if the question is."""
    field = _question_field(q, locale)
    required = _l("Please answer this question.") if q.required else None
    field.kwargs["validators"] = [_companion_answer(i, required)] + [
        v for v in field.kwargs.get("validators", []) if isinstance(v, Length)
    ]
    return field


def _companion_answer(i: int, required):
    def check(form, field):
        if field.data not in (None, "", []) and not (
            isinstance(field.data, str) and not field.data.strip()
        ):
            return
        field.errors[:] = []  # no choice made is no answer, not a wrong one
        named = (form[f"companion_{i}_name"].data or "").strip()
        raise StopValidation(required if required and named else None)

    return check


def _companion_named(i: int):
    def check(form, field):
        others = [form[f"companion_{i}_email"].data, form[f"companion_{i}_age"].data]
        others += [f.data for f in form.companion_question_fields(i)]
        if not field.data and any(others):
            raise ValidationError(_l("Please give the companion's name."))

    return check


def _event_form_class(
    event: Event, base: type[DetailsForm], collects: bool, annex_i: bool = False
) -> type:
    class EventForm(base):  # type: ignore[misc, valid-type]
        pass

    locale = str(get_locale())
    asked = list(event.questions)
    slots = getattr(event, "max_companions", 0)
    if slots and issubclass(base, SignupForm):
        _companion_fields(EventForm, slots, question_rules.for_companions(asked), locale)

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
    if annex_i:
        _add_annex_fields(
            EventForm, participant=base is DetailsForm or issubclass(base, SignupForm)
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

    def question_fields(self) -> list[Field]:
        return [f for f in self if f.name.startswith("q_")]

    def answers(self) -> dict[str, object]:
        """The companion's answers to the questions asked of each companion too."""
        return {f.name.removeprefix("q_"): _clean_answer(f.data) for f in self.question_fields()}


def companion_form(event: Event, **kwargs) -> CompanionForm:
    """The manage page's form for one companion of ``event``: the name, the age band and
    the event's questions asked of each companion too (a named companion answers them as
    anyone would)."""
    asked = question_rules.for_companions(event.questions)
    if not asked:
        return CompanionForm(**kwargs)
    locale = str(get_locale())

    class EventCompanionForm(CompanionForm):
        pass

    for q in asked:
        setattr(EventCompanionForm, f"q_{q.id}", _question_field(q, locale))
    return EventCompanionForm(**kwargs)


def _yes_no_field(label) -> RadioField:
    return RadioField(
        label,
        choices=choices([("yes", _l("Yes")), ("no", _l("No"))]),
        validators=[Optional()],
        filters=[_strip],
    )


def _add_annex_fields(cls: type, *, participant: bool) -> None:
    """The ESF+ Annex I questions. The special-category ones (and their separate consent) are
    offered to the participant only, on their own form: an organiser never enters them."""
    cls.annex_birth_year = IntegerField(
        _l("Year of birth"),
        validators=[
            Optional(),
            NumberRange(1900, 2100, message=_l("Please enter a year of birth like 1980.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "bday-year"},
    )
    cls.annex_education = SelectField(
        _l("Highest education completed"),
        choices=_optional_choice(labels.EDUCATION_LABELS),
        validators=[Optional()],
        filters=[_strip],
    )
    cls.annex_third_country_national = _yes_no_field(
        _l("Are you a citizen of a country outside the EU?")
    )
    cls.annex_homeless = _yes_no_field(_l("Are you homeless or without a home of your own?"))
    cls.annex_rural = _yes_no_field(_l("Do you live in a rural area?"))
    if not participant:
        return
    cls.special_consent = BooleanField(
        _l(
            "I agree to answer questions on disability, minority and foreign background. My "
            "answers are kept apart from my registration and used only in anonymous counts "
            "for the funder. I can withdraw this consent at any time from my registration "
            "link."
        )
    )
    cls.special_disability = _yes_no_field(_l("Do you have a disability?"))
    cls.special_foreign_background = _yes_no_field(
        _l("Do you have a foreign background (you or both your parents born abroad)?")
    )
    cls.special_minority = _yes_no_field(_l("Do you belong to a minority (including the Roma)?"))


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
