"""The question editor's form: texts, choices, whether an answer is required, the condition
that shows the question, and the texts in the site's other languages."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from eventhub.core import labels
from eventhub.core.models import Event, EventQuestion, QuestionType
from eventhub.core.services import questions as service
from eventhub.web.forms import MultiCheckboxField, choices

TYPE_CHOICES = [
    (QuestionType.SHORT_TEXT.value, _l("Short text")),
    (QuestionType.LONG_TEXT.value, _l("Long text")),
    (QuestionType.SINGLE_CHOICE.value, _l("One choice")),
    (QuestionType.MULTIPLE_CHOICE.value, _l("Several choices")),
    (QuestionType.YES_NO.value, _l("Yes or no")),
]


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines()]


class QuestionForm(FlaskForm):
    label = StringField(
        _l("Question"), validators=[DataRequired(_l("Please write the question.")), Length(max=300)]
    )
    help_text = StringField(
        _l("Help text (optional)"),
        description=_l("Shown under the question, for example what the answer is used for."),
        validators=[Optional(), Length(max=500)],
    )
    choices = TextAreaField(
        _l("Choices"),
        description=_l(
            "For choice questions: one choice per line. Answers already given keep the "
            "wording they were given in."
        ),
        validators=[Length(max=5000)],
    )
    required = BooleanField(_l("An answer is required"))
    for_companions = BooleanField(
        _l("Ask each companion too"),
        description=_l(
            "Each companion a participant brings answers it in their own part of the form. "
            "Such a question cannot depend on another answer."
        ),
    )
    condition = MultiCheckboxField(
        _l("Ask this question only after these answers (optional)"),
        description=_l(
            "Leave all unticked to ask everyone. Tick answers of one earlier question: the "
            "question is then asked only of those who gave one of them, and is never required "
            "of anyone else."
        ),
        validators=[Optional()],
    )

    # Set by question_form(): the question being edited (None when adding) and the other
    # languages the texts may be given in.
    question: EventQuestion | None = None
    languages: list[tuple[str, str]] = []

    def question_type(self) -> QuestionType:
        if self.question is not None:
            return self.question.type
        return QuestionType(self.type.data)

    def validate_choices(self, field):
        if self.question is None and self.type.data not in {v for v, _ in TYPE_CHOICES}:
            return  # the type field says what is wrong
        if self.question_type() in service.CHOICE_TYPES and len(self.choice_list()) < 2:
            raise ValidationError(_l("Give at least two choices, one per line."))

    def validate_condition(self, field):
        if len({value.split(":", 1)[0] for value in field.data or []}) > 1:
            raise ValidationError(_l("Tick answers of one question only."))

    def choice_list(self) -> list[str]:
        return list(dict.fromkeys(line for line in _lines(self.choices.data) if line))

    def translation_fields(self, code: str):
        return (
            getattr(self, f"label_{code}"),
            getattr(self, f"help_{code}"),
            getattr(self, f"choices_{code}"),
        )

    def changes(self) -> service.QuestionChanges:
        picked = self.condition.data or []
        depends_on = int(picked[0].split(":", 1)[0]) if picked else None
        translations = {}
        for code, _name in self.languages:
            label, help_text, choice_texts = self.translation_fields(code)
            translations[code] = {
                "label": (label.data or "").strip(),
                "help_text": (help_text.data or "").strip(),
                "choices": _lines(choice_texts.data),
            }
        return service.QuestionChanges(
            label=self.label.data.strip(),
            help_text=(self.help_text.data or "").strip(),
            required=self.required.data,
            for_companions=self.for_companions.data,
            choices=self.choice_list(),
            condition_question_id=depends_on,
            condition_answers=[value.split(":", 1)[1] for value in picked],
            translations=translations,
        )


def question_form(event: Event, question: EventQuestion | None = None, **kwargs) -> QuestionForm:
    """The editor's form for a new question (``question`` None: the type is chosen) or for
    ``question``; the condition offers the answers of the earlier choice and yes/no
    questions, and there is a label, help text and choices for each of the site's languages
    other than the event's own."""
    languages = [
        (code, labels.LANGUAGE_NAMES.get(code, code))
        for code in current_app.config["LANGUAGES"]
        if code != event.language
    ]

    class Form(QuestionForm):
        pass

    if question is None:
        Form.type = SelectField(_l("Kind of answer"), choices=choices(TYPE_CHOICES))
    for code, name in languages:
        setattr(
            Form,
            f"label_{code}",
            StringField(
                _l("Question in %(language)s", language=name), validators=[Length(max=300)]
            ),
        )
        setattr(
            Form,
            f"help_{code}",
            StringField(
                _l("Help text in %(language)s", language=name), validators=[Length(max=500)]
            ),
        )
        setattr(
            Form,
            f"choices_{code}",
            TextAreaField(
                _l("Choices in %(language)s", language=name),
                description=_l("One line per choice, in the same order as above."),
                validators=[Length(max=5000)],
            ),
        )
    Form.question, Form.languages = question, languages
    form = Form(**kwargs)
    form.condition.choices = choices(_condition_choices(event, question))
    if question is not None and not form.is_submitted():
        _fill(form, question)
    return form


def _condition_choices(event: Event, question: EventQuestion | None):
    before = [
        q
        for q in event.questions
        if q.type in service.CONTROLLING_TYPES
        and (question is None or (q.position, q.id) < (question.position, question.id))
    ]
    for q in before:
        if q.type == QuestionType.YES_NO:
            answers = [("yes", _l("Yes")), ("no", _l("No"))]
        else:
            answers = [(c, c) for c in q.choices]
        for value, shown in answers:
            yield f"{q.id}:{value}", _l("%(question)s: %(answer)s", question=q.label, answer=shown)


def _fill(form: QuestionForm, question: EventQuestion) -> None:
    form.label.data = question.label
    form.help_text.data = question.help_text
    form.choices.data = "\n".join(question.choices or [])
    form.required.data = question.required
    form.for_companions.data = question.for_companions
    form.condition.data = [
        f"{question.condition_question_id}:{a}"
        for a in (question.condition_answers or [])
        if question.condition_question_id is not None
    ]
    for code, _name in form.languages:
        given = (question.translations or {}).get(code, {})
        label, help_text, choice_texts = form.translation_fields(code)
        label.data = given.get("label", "")
        help_text.data = given.get("help_text", "")
        choice_texts.data = "\n".join(given.get("choices") or [])
