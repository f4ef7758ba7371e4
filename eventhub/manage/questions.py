"""Organiser routes for an event's own questions: list and add, edit, reorder, preview, remove.

Every route loads the event through ``access.event_to_manage`` (404 outside the organiser's
projects) and the question through the event, so no id reaches another project's form.
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from eventhub.core import labels
from eventhub.core.models import Event, EventQuestion, QuestionType
from eventhub.core.services import access
from eventhub.core.services import questions as service
from eventhub.extensions import db
from eventhub.manage import bp
from eventhub.manage.question_forms import question_form
from eventhub.web.actions import act
from eventhub.web.decorators import manager_required
from eventhub.web.signup_forms import build_form

BASE = "/events/<int:event_id>/questions"


@bp.route(BASE, methods=["GET", "POST"])
@manager_required
def questions(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    form = question_form(event)
    refusal = None
    if form.validate_on_submit():
        refusal = _save(
            lambda: service.add_question(
                current_user, event, type=QuestionType(form.type.data), changes=form.changes()
            )
        )
        if refusal is None:
            flash(_("The question has been added to the form."), "ok")
            return redirect(_list_url(event), 303)
    return render_template(
        "manage/questions.html",
        event=event,
        form=form,
        conditions=_conditions(event),
        refusal=refusal,
    ), (422 if form.errors or refusal else 200)


@bp.route(f"{BASE}/<int:question_id>/edit", methods=["GET", "POST"])
@manager_required
def edit_question(event_id: int, question_id: int):
    event, question = _load(event_id, question_id)
    form = question_form(event, question)
    refusal = None
    if form.validate_on_submit():
        refusal = _save(
            lambda: service.edit_question(current_user, event, question, form.changes())
        )
        if refusal is None:
            flash(_("The question has been saved. The form shows it at once."), "ok")
            return redirect(_list_url(event), 303)
    return render_template(
        "manage/question_edit.html", event=event, question=question, form=form, refusal=refusal
    ), (422 if form.errors or refusal else 200)


def _save(call) -> str | None:
    """Run the editor's service and commit; on a refusal roll back and return why, so the
    form comes back with what was typed."""
    try:
        call()
    except service.QuestionRefused as refused:
        db.session.rollback()
        return refused.message
    db.session.commit()
    return None


@bp.route(f"{BASE}/<int:question_id>/move", methods=["POST"])
@manager_required
def move_question(event_id: int, question_id: int):
    event, question = _load(event_id, question_id)
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if step is None:
        abort(400)
    return act(
        lambda: service.move_question(current_user, event, question, step),
        done=_("The question has been moved."),
        to=_list_url(event) + f"#question-{question.id}",
    )


@bp.route(f"{BASE}/<int:question_id>/delete", methods=["GET", "POST"])
@manager_required
def delete_question(event_id: int, question_id: int):
    """A page that asks first; once people have answered, the organiser must also confirm
    that their answers go (the service refuses otherwise)."""
    event, question = _load(event_id, question_id)
    refusal = None
    if request.method == "POST":
        try:
            removed = service.remove_question(
                current_user, event, question, answers_go=bool(request.form.get("answers_go"))
            )
        except service.QuestionRefused as refused:
            db.session.rollback()
            refusal = refused.message
        else:
            db.session.commit()
            flash(
                ngettext(
                    "The question and %(num)s answer to it have been removed.",
                    "The question and %(num)s answers to it have been removed.",
                    removed,
                )
                if removed
                else _("The question has been removed."),
                "ok",
            )
            return redirect(_list_url(event), 303)
    return render_template(
        "manage/question_delete.html",
        event=event,
        question=question,
        answers=service.answers_given(event, question),
        dependants=service.dependants(event, question),
        refusal=refusal,
    ), (409 if refusal else 200)


@bp.route(f"{BASE}/preview", methods=["GET", "POST"])
@manager_required
def preview_questions(event_id: int):
    """The signup form as a participant reading the chosen language sees it. Sending it
    checks the answers as the real form would (what is required, what the answers hide)
    and saves nothing."""
    event = access.event_to_manage(current_user, event_id)
    languages = _languages()
    lang = request.values.get("lang") or (event.language if event.language in languages else "")
    if lang not in languages:
        lang = next(iter(languages))
    with force_locale(lang):
        form = build_form(event)
        accepted = form.validate_on_submit()
        # The participant's form rendered (autoescaped) in their language, set into the
        # organiser's page in the organiser's own.
        fragment = Markup(  # noqa: S704
            render_template(
                "registration/_form.html",
                form=form,
                action=url_for("manage.preview_questions", event_id=event.id, lang=lang),
                submit_label=_("Register"),
            )
        )
    return render_template(
        "manage/question_preview.html",
        event=event,
        fragment=fragment,
        lang=lang,
        preview_languages=languages,
        accepted=accepted,
    ), (422 if form.errors else 200)


def _load(event_id: int, question_id: int) -> tuple[Event, EventQuestion]:
    event = access.event_to_manage(current_user, event_id)
    question = service.question_of(event, question_id)
    if question is None:
        abort(404)
    return event, question


def _conditions(event: Event) -> dict[int, str]:
    """Each conditional question's condition as the organiser reads it."""
    by_id = {q.id: q for q in event.questions}
    written = {}
    for q in event.questions:
        shown_by = by_id.get(q.condition_question_id)
        if shown_by is None:
            continue
        if shown_by.type == QuestionType.YES_NO:
            answers = [_("Yes") if a == "yes" else _("No") for a in q.condition_answers]
        else:
            answers = list(q.condition_answers)
        written[q.id] = _(
            "Asked only after the answer %(answers)s to “%(question)s”.",
            answers=", ".join(f"“{a}”" for a in answers),
            question=shown_by.label,
        )
    return written


def _languages() -> dict[str, str]:
    return {code: labels.LANGUAGE_NAMES.get(code, code) for code in current_app.config["LANGUAGES"]}


def _list_url(event: Event) -> str:
    return url_for("manage.questions", event_id=event.id)
