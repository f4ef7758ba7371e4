"""A participant's own data: ask (by address or from a manage link), confirm by mail, see it,
download it, correct it, erase it (GDPR articles 15-17; docs/privacy.md)."""

import json

from flask import Response, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from eventhub.core import labels
from eventhub.core.models import EventQuestion
from eventhub.core.services import data_requests
from eventhub.core.services import registration as registrations
from eventhub.core.services.errors import Refused
from eventhub.extensions import db, signup_limit
from eventhub.registration import bp
from eventhub.web.signup_forms import LostLinkForm


class DataCorrectionForm(FlaskForm):
    """Name, phone and address, as the person is registered under them."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please give your name.")), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    phone = StringField(
        _l("Phone"), validators=[Optional(), Length(max=40)], render_kw={"autocomplete": "tel"}
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Email(_l("Please enter a valid email address, like name@example.fi.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )


class ErasureForm(FlaskForm):
    sure = BooleanField(
        _l("I understand that my data is erased for good and my links stop working."),
        validators=[DataRequired(_l("Please tick the box to confirm the erasure."))],
    )


# What each table is called on the page; a table added later shows under its own name.
TABLE_TITLES = {
    "person": _l("About you and the companions you signed up by name"),
    "registration": _l("Registrations"),
    "attendance": _l("Participations: check-ins and walk-ins"),
    "team_member": _l("Team places"),
    "team_seeker": _l("Looking for a team"),
    "group_choice": _l("Discussion group choices"),
    "survey_invitation": _l("Surveys sent to you"),
    "door_tap": _l("Taps of the check-in app at the door"),
    "data_request": _l("Your requests for your data"),
}


# What each column is called on the page. Ids and internal numbers are left to the JSON
# download; a column added later shows under its own name.
COLUMN_LABELS = {
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "status": _l("Status"),
    "answers": _l("Answers to the event's questions"),
    "accessibility_needs": _l("Accessibility needs"),
    "dietary_needs": _l("Dietary needs"),
    "gender": _l("Gender"),
    "age_band": _l("Age"),
    "labour_status": _l("Labour market status"),
    "locale": _l("Language"),
    "consent_at": _l("Consent given"),
    "confirmed_at": _l("Confirmed"),
    "cancelled_at": _l("Cancelled"),
    "created_at": _l("Created"),
    "updated_at": _l("Last changed"),
    "walk_in_name": _l("Name written at the door"),
    "recorded_at": _l("Recorded"),
    "note": _l("Note"),
    "tapped_at": _l("Tapped"),
    "received_at": _l("Received"),
    "joined_at": _l("Joined"),
    "queued_at": _l("Sent"),
    "erased_at": _l("Erased"),
    "closed_at": _l("Closed"),
    "anonymised_at": _l("Anonymised"),
    "kept_reasons": _l("Kept by projects"),
}
_HIDDEN = {"id", "email_normalised", "queue_no", "tap_id", "kind", "outcome", "reason"}
_VALUE_LABELS = {
    "gender": labels.GENDER_LABELS,
    "age_band": labels.AGE_BAND_LABELS,
    "labour_status": labels.LABOUR_STATUS_LABELS,
    "locale": labels.LANGUAGE_NAMES,
}


def readable(records: dict[str, list[dict]]) -> list[tuple[str, list[list[tuple[str, str]]]]]:
    """The export as sections of label-value pairs, in the reader's language."""
    question_ids = {
        int(k) for r in records.get("registration", []) for k in (r.get("answers") or {})
        if str(k).isdigit()
    }  # fmt: skip
    questions = dict(
        db.session.execute(
            select(EventQuestion.id, EventQuestion.label).where(EventQuestion.id.in_(question_ids))
        ).all()
    )
    sections = []
    for table, rows in records.items():
        shown = []
        for row in rows:
            pairs = []
            if row.get("event"):
                event = row["event"]
                project = f" ({event['project']})" if event.get("project") else ""
                pairs.append((str(_("Event")), f"{event['title']}{project}"))
            for key, value in row.items():
                if key in _HIDDEN or key.endswith("_id") or key == "event":
                    continue
                if value in (None, "", {}, []):
                    continue
                pairs.append((str(COLUMN_LABELS.get(key, key.replace("_", " "))),
                              _value(table, key, value, questions)))  # fmt: skip
            shown.append(pairs)
        sections.append((str(TABLE_TITLES.get(table, table.replace("_", " "))), shown))
    return sections


def _value(table: str, key: str, value, questions: dict[int, str]) -> str:
    if key == "status" and table == "registration":
        return str(labels.REGISTRATION_STATUS_LABELS.get(value, value))
    if key == "status" and table == "data_request":
        return str(labels.DATA_REQUEST_STATUS_LABELS.get(value, value))
    if key in _VALUE_LABELS:
        return str(_VALUE_LABELS[key].get(value, value))
    if key == "answers" and isinstance(value, dict):
        return "; ".join(
            f"{questions.get(int(k), k) if str(k).isdigit() else k}: "
            + (", ".join(map(str, v)) if isinstance(v, list) else str(v))
            for k, v in value.items()
        )
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, str) and key.endswith("_at") and "T" in value:
        return value[:16].replace("T", " ") + " UTC"
    return str(value)


@bp.route("/my-data", methods=["GET", "POST"])
@signup_limit
def ask_data():
    """Ask for one's data by address. The answer is the same whether the address is known."""
    form = LostLinkForm()
    if form.validate_on_submit():
        data_requests.ask(form.email.data, str(get_locale()))
        db.session.commit()
        return render_template("registration/my_data_sent.html")
    status = 422 if form.errors else 200
    return render_template("registration/my_data_ask.html", form=form), status


@bp.route("/manage/<token>/my-data", methods=["POST"])
@signup_limit
def ask_data_from_link(token: str):
    """Ask from a manage link: the confirmation goes to the registration's address."""
    registration = registrations.by_token(token)
    if registration is None:
        abort(make_response(render_template("registration/dead_link.html"), 404))
    data_requests.ask_for(registration, str(get_locale()))
    db.session.commit()
    return render_template("registration/my_data_sent.html")


def _request_or_404(token: str):
    request = data_requests.by_token(token)
    if request is None:
        abort(make_response(render_template("registration/my_data_dead.html"), 404))
    return request


@bp.route("/my-data/<token>")
def my_data(token: str):
    request = _request_or_404(token)
    if request.status == "awaiting":
        return render_template("registration/my_data_confirm.html", token=token)
    if request.status != "open":
        return render_template("registration/my_data_done.html", request=request)
    return _data_page(request, token)


def _data_page(request, token, correction=None, erasure=None, status=200):
    person = request.person
    correction = correction or DataCorrectionForm(
        data={"name": person.name, "phone": person.phone, "email": person.email}
    )
    data = data_requests.export(request)
    return render_template(
        "registration/my_data.html",
        token=token,
        data=data,
        sections=readable(data["records"]),
        upcoming=data_requests.personal_data.upcoming_places([person.id]),
        manage_token=registrations.lasting_token,
        correction=correction,
        erasure=erasure or ErasureForm(),
    ), status


@bp.route("/my-data/<token>/confirm", methods=["POST"])
def confirm_data_request(token: str):
    request = _request_or_404(token)
    data_requests.confirm(request)
    db.session.commit()
    return redirect(url_for("registration.my_data", token=token), 303)


@bp.route("/my-data/<token>/data.json")
def my_data_json(token: str):
    request = _request_or_404(token)
    try:
        data = data_requests.export(request, download=True)
    except Refused:
        abort(404)
    db.session.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-data.json"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/my-data/<token>/correct", methods=["POST"])
def correct_my_data(token: str):
    request = _request_or_404(token)
    form = DataCorrectionForm()
    if form.validate_on_submit():
        try:
            changed = data_requests.correct(
                request, name=form.name.data, phone=form.phone.data, email=form.email.data
            )
        except Refused as refused:
            db.session.rollback()
            form.email.errors = [refused.message]
        else:
            db.session.commit()
            flash(_("Your data has been corrected.") if changed else _("Nothing changed."), "ok")
            return redirect(url_for("registration.my_data", token=token), 303)
    return _data_page(request, token, correction=form, status=422)


@bp.route("/my-data/<token>/erase", methods=["POST"])
def erase_my_data(token: str):
    request = _request_or_404(token)
    form = ErasureForm()
    if form.validate_on_submit():
        try:
            data_requests.erase(request)
        except Refused as refused:
            db.session.rollback()
            form.sure.errors = [refused.message]
        else:
            db.session.commit()
            return redirect(url_for("registration.my_data", token=token), 303)
    return _data_page(request, token, erasure=form, status=422)
