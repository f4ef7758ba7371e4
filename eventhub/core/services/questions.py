"""An event's own questions: which are shown for the answers given, and the organiser's editor.

*Conditional questions.* A question may depend on an earlier choice or yes/no question of
the same event: it is shown only when that question is shown and was answered with one of
the given answers. :func:`shown` is the one rule; the signup form (what is required), the
storing of answers (:func:`keep_shown`: an answer to a question that was not shown is never
stored) and the organiser's table and export (a hidden question's cell is empty) all ask it.

*The editor.* Every change to a question makes a new revision of the event (its
``updated_at``): each process caches the signup form class per revision (see
eventhub.web.signup_forms.build_form), so an edit shows on the public form at once.
A question is removed only when nobody has answered it, unless the organiser confirms that
the answers go too (audited with their number).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import Event, EventQuestion, QuestionType, Registration, User
from eventhub.core.services import audit
from eventhub.core.services.errors import Refused
from eventhub.extensions import db

CHOICE_TYPES = (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
# What a condition may depend on: questions with a fixed set of answers.
CONTROLLING_TYPES = (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.YES_NO)
YES_NO_VALUES = ("yes", "no")


@dataclass(frozen=True)
class Rule:
    """One question as far as showing it goes: its key, and the key of the question it
    depends on with the answers that show it (``depends_on`` None: always shown)."""

    key: Hashable
    depends_on: Hashable | None = None
    answers: frozenset[str] = field(default_factory=frozenset)


def shown(rules: Sequence[Rule], answers: Mapping[Any, object]) -> set[Any]:
    """The keys of the questions shown for these answers. A question is shown when it has no
    condition, or when the question it depends on is itself shown and its answer (one value,
    or any of several for a multiple choice) is among the condition's answers. A condition on
    a question that is not in ``rules`` hides nothing."""
    by_key = {r.key: r for r in rules}
    memo: dict[Any, bool] = {}

    def is_shown(key: Any, seen: frozenset) -> bool:
        if key in memo:
            return memo[key]
        rule = by_key[key]
        if rule.depends_on is None or rule.depends_on not in by_key or key in seen:
            result = True
        else:
            given = answers.get(rule.depends_on)
            values = {str(v) for v in given} if isinstance(given, list) else {str(given)}
            result = is_shown(rule.depends_on, seen | {key}) and bool(values & rule.answers)
        memo[key] = result
        return result

    return {r.key for r in rules if is_shown(r.key, frozenset())}


def rules_of(
    questions: Iterable[EventQuestion], key: Callable[[int], Hashable] = str
) -> list[Rule]:
    """The rules of an event's questions, keyed by ``key(question id)`` (answers are stored
    under the id as text)."""
    return [
        Rule(
            key(q.id),
            key(q.condition_question_id) if q.condition_question_id is not None else None,
            frozenset(q.condition_answers or ()),
        )
        for q in questions
    ]


def keep_shown(questions: Sequence[EventQuestion], answers: Mapping[str, object] | None) -> dict:
    """Only the answers to questions shown for these answers: what is stored, and what the
    organiser reads (a question hidden by the answers, say by a condition added after the
    signup, reads as unanswered, never stale)."""
    answers = answers or {}
    visible = shown(rules_of(questions), answers)
    return {k: v for k, v in answers.items() if k in visible}


def for_companions(questions: Iterable[EventQuestion]) -> list[EventQuestion]:
    """The questions asked of each companion too, in the form's order. Such a question is
    never conditional (the editor refuses it), so a companion's fieldset asks all of them."""
    return [q for q in questions if q.for_companions and q.condition_question_id is None]


def companion_answers(
    questions: Iterable[EventQuestion], answers: Mapping[str, object] | None
) -> dict:
    """What is stored of a companion's answers: those to the questions asked of companions,
    left out when empty."""
    asked = {str(q.id) for q in for_companions(questions)}
    return {k: v for k, v in (answers or {}).items() if k in asked and v not in (None, "", [])}


# -- the editor ----------------------------------------------------------------------------


class QuestionRefused(Refused):
    """The editor will not make this change; ``message`` says why."""


@dataclass(frozen=True)
class QuestionChanges:
    """What the organiser wrote for a question (the type is chosen once, when adding)."""

    label: str
    help_text: str = ""
    required: bool = False
    choices: list[str] = field(default_factory=list)
    condition_question_id: int | None = None
    condition_answers: list[str] = field(default_factory=list)
    for_companions: bool = False
    # {"lv": {"label": ..., "help_text": ..., "choices": [...]}}
    translations: dict[str, dict] = field(default_factory=dict)


def question_of(event: Event, question_id: int) -> EventQuestion | None:
    """The event's question with this id; None for another event's (or no) question."""
    question = db.session.get(EventQuestion, question_id)
    return question if question is not None and question.event_id == event.id else None


def add_question(
    user: User, event: Event, *, type: QuestionType, changes: QuestionChanges
) -> EventQuestion:
    """A new question at the end of the form."""
    position = max((q.position for q in event.questions), default=0) + 1
    question = EventQuestion(event=event, position=position, type=type, label=changes.label)
    _apply(event, question, changes)
    db.session.add(question)
    _touch(event)
    db.session.flush()
    audit.record("question_added", event=event, obj=question, user=user)
    return question


def edit_question(user: User, event: Event, question: EventQuestion, changes: QuestionChanges):
    """Change a question's texts, choices, whether it is required and its condition.

    Answers already given stay as they were given. A choice that a later question's
    condition names cannot be removed: that question would never show again."""
    kept = set(changes.choices) if question.type in CHOICE_TYPES else set(YES_NO_VALUES)
    for dependant in dependants(event, question):
        lost = [a for a in dependant.condition_answers if a not in kept]
        if lost:
            raise QuestionRefused(
                _(
                    "The question “%(other)s” is shown only after the answer “%(answer)s”. "
                    "Change that question's condition first.",
                    other=dependant.label,
                    answer=lost[0],
                )
            )
    _apply(event, question, changes)
    _touch(event)
    db.session.flush()
    audit.record("question_edited", event=event, obj=question, user=user)


def _apply(event: Event, question: EventQuestion, changes: QuestionChanges) -> None:
    question.label = changes.label
    question.help_text = changes.help_text
    question.required = changes.required
    question.choices = list(changes.choices) if question.type in CHOICE_TYPES else []
    if changes.for_companions and changes.condition_question_id is not None:
        # A companion's fieldset asks every question for companions, with or without
        # JavaScript: a condition there would have to follow each companion's own answers.
        raise QuestionRefused(
            _(
                "A question asked of each companion too cannot depend on another answer. "
                "Untick the condition or the companions."
            )
        )
    question.for_companions = changes.for_companions
    if changes.condition_question_id is None:
        question.condition_question_id, question.condition_answers = None, []
    else:
        controlling = question_of(event, changes.condition_question_id)
        _check_condition(question, controlling, changes.condition_answers)
        question.condition_question_id = changes.condition_question_id
        question.condition_answers = list(changes.condition_answers)
    question.translations = {
        locale: {
            "label": text.get("label", ""),
            "help_text": text.get("help_text", ""),
            "choices": list(text.get("choices") or [])[: len(question.choices)],
        }
        for locale, text in changes.translations.items()
        if any(text.get(k) for k in ("label", "help_text", "choices"))
    }


def _check_condition(
    question: EventQuestion, controlling: EventQuestion | None, answers: list[str]
) -> None:
    def place(q: EventQuestion) -> tuple[int, float]:
        return (q.position, q.id if q.id is not None else float("inf"))

    earlier = controlling is not None and place(controlling) < place(question)
    if (
        controlling is None
        or controlling.id == question.id
        or controlling.type not in CONTROLLING_TYPES
        or not earlier
    ):
        raise QuestionRefused(
            _("A question can depend only on an earlier choice or yes/no question.")
        )
    possible = controlling.choices if controlling.type in CHOICE_TYPES else YES_NO_VALUES
    if not answers or any(a not in possible for a in answers):
        raise QuestionRefused(_("Choose the answers of that question that show this one."))


def dependants(event: Event, question: EventQuestion) -> list[EventQuestion]:
    """The event's questions shown only for some answer to ``question``."""
    return [q for q in event.questions if q.condition_question_id == question.id]


def move_question(user: User, event: Event, question: EventQuestion, step: int) -> None:
    """Move a question one place up (``step`` -1) or down (+1). A question cannot pass the
    question it depends on, nor a question that depends on it."""
    ordered = sorted(event.questions, key=lambda q: (q.position, q.id))
    i = ordered.index(question)
    j = i + step
    if step not in (-1, 1) or not 0 <= j < len(ordered):
        return
    other = ordered[j]
    first, second = (other, question) if step == -1 else (question, other)
    if second.condition_question_id == first.id:
        raise QuestionRefused(
            _(
                "“%(question)s” is asked only after an answer to “%(other)s”, so it stays "
                "below it.",
                question=second.label,
                other=first.label,
            )
        )
    # Positions made distinct first: older forms may hold equal positions.
    for n, q in enumerate(ordered, 1):
        q.position = n
    question.position, other.position = other.position, question.position
    _touch(event)
    db.session.flush()
    audit.record("question_moved", event=event, obj=question, user=user)


def answers_given(event: Event, question: EventQuestion) -> int:
    """How many registrations of the event hold an answer to the question."""
    return len(_answering(event, question))


def _answering(event: Event, question: EventQuestion) -> list[Registration]:
    key = str(question.id)
    # The answers are a JSON column: read the event's registrations (one event's worth) and
    # look in Python, the same on SQLite and PostgreSQL.
    registrations = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id)
    )
    return [r for r in registrations if (r.answers or {}).get(key) not in (None, "", [])]


class QuestionHasAnswers(QuestionRefused):
    """People have answered: removing the question takes their answers too, which the
    organiser must confirm."""

    def __init__(self, count: int):
        super().__init__(
            ngettext(
                "%(num)s person has answered this question. Removing it deletes the answer "
                "too: tick the box to confirm that the answers go as well.",
                "%(num)s people have answered this question. Removing it deletes their "
                "answers too: tick the box to confirm that the answers go as well.",
                count,
            )
        )
        self.count = count


def remove_question(
    user: User, event: Event, question: EventQuestion, *, answers_go: bool = False
) -> int:
    """Remove a question; returns how many answers were deleted with it.

    Refused (:class:`QuestionHasAnswers`) once anyone has answered, unless ``answers_go``:
    then the answers are deleted from the registrations too and the number is audited.
    Questions that depended on it lose their condition and are shown to everyone."""
    answering = _answering(event, question)
    if answering and not answers_go:
        raise QuestionHasAnswers(len(answering))
    key = str(question.id)
    for registration in answering:
        registration.answers = {k: v for k, v in registration.answers.items() if k != key}
    for dependant in dependants(event, question):
        dependant.condition_question_id, dependant.condition_answers = None, []
    event.questions.remove(question)
    db.session.delete(question)
    _touch(event)
    if answering:
        audit.record(
            "question_removed_with_answers",
            event=event,
            obj=question,
            user=user,
            count=len(answering),
        )
    else:
        audit.record("question_removed", event=event, obj=question, user=user)
    db.session.flush()
    return len(answering)


def _touch(event: Event) -> None:
    """A new revision of the event: its questions are part of its signup form, which each
    process caches per ``updated_at`` (see eventhub.web.signup_forms.build_form)."""
    event.updated_at = utcnow()
