"""Forum pages: the listing, a participant's groups, and the organiser's programme."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.core.labels import KIND_PLURALS
from eventhub.core.models import DiscussionGroup, EventKind, ProgrammeItem
from eventhub.core.numbers import parse_id
from eventhub.core.services import access, forums
from eventhub.core.services import registration as registrations
from eventhub.extensions import db
from eventhub.forums import bp
from eventhub.forums.forms import (
    GroupForm,
    HeadcountForm,
    ProgrammeItemForm,
    SettingsForm,
    groups_form,
    item_choices,
)
from eventhub.web.decorators import manager_required
from eventhub.web.pages import render_listing


@bp.route("/")
def index():
    return render_listing(EventKind.FORUM, str(KIND_PLURALS[EventKind.FORUM]))


# --- participant ------------------------------------------------------------------------


@bp.route("/manage/<token>/groups", methods=["GET", "POST"])
def my_groups(token: str):
    registration = registrations.by_token(token) or abort(404)
    event = registration.event
    if event.kind not in forums.PROGRAMME_KINDS:
        abort(404)
    editable = registration.status in registrations.ACTIVE
    form = groups_form(event, forums.choices_of(registration))
    if request.method == "POST":
        if not editable:
            abort(409)
        if form.validate_on_submit():
            notes = forums.change_groups(registration, forums.parse_choices(_format_data(form)))
            db.session.commit()
            for note in notes:
                flash(note, "error")
            if not notes:
                flash(_("Your discussion groups have been saved."), "ok")
            return redirect(url_for("forums.my_groups", token=token), 303)
    return render_template(
        "forums/my_groups.html", registration=registration, event=event, form=form,
        editable=editable, token=token,
    ), (422 if form.errors else 200)  # fmt: skip


def _format_data(form) -> dict:
    return {f.name.removeprefix("fmt_"): f.data for f in form if f.name.startswith("fmt_")}


# --- organiser --------------------------------------------------------------------------


def _forum_to_manage(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    if event.kind not in forums.PROGRAMME_KINDS:
        abort(404)
    return event


def _organiser_page(event, status: int = 200, **forms):
    items = forums.programme(event.id)
    choices = item_choices(items, event)
    item_form = forms.get("item_form") or ProgrammeItemForm()
    group_form = forms.get("group_form") or GroupForm()
    group_form.group_item.choices = choices
    headcount_form = forms.get("headcount_form") or HeadcountForm()
    headcount_form.count_item.choices = choices
    settings_form = forms.get("settings_form") or SettingsForm(
        data={"registration_optional": event.registration_optional}
    )
    return render_template(
        "forums/organiser.html",
        event=event,
        items=items,
        places=forums.group_places(items),
        figures=forums.forum_indicators(event.id),
        item_form=item_form,
        group_form=group_form,
        headcount_form=headcount_form,
        settings_form=settings_form,
    ), status


@bp.route("/organiser/<int:event_id>")
@manager_required
def organiser(event_id: int):
    return _organiser_page(_forum_to_manage(event_id))


def _on_event_day(event, time) -> datetime:
    """A time typed by the organiser, on the forum's (first) day in its own zone."""
    return datetime.combine(event.local_start.date(), time, event.tz)


@bp.route("/organiser/<int:event_id>/items", methods=["POST"])
@manager_required
def add_item(event_id: int):
    event = _forum_to_manage(event_id)
    form = ProgrammeItemForm()
    if not form.validate_on_submit():
        return _organiser_page(event, 422, item_form=form)
    forums.add_item(
        current_user,
        event,
        starts_at=_on_event_day(event, form.starts.data),
        ends_at=_on_event_day(event, form.ends.data),
        title=form.title.data.strip(),
        room=(form.room.data or "").strip(),
        speakers=(form.speakers.data or "").strip(),
        description=(form.description.data or "").strip(),
        parallel=form.parallel.data,
    )
    db.session.commit()
    flash(_("The session has been added to the programme."), "ok")
    return redirect(url_for("forums.organiser", event_id=event.id), 303)


@bp.route("/organiser/items/<int:item_id>/delete", methods=["POST"])
@manager_required
def delete_item(item_id: int):
    item = db.session.get(ProgrammeItem, item_id) or abort(404)
    event = _forum_to_manage(item.event_id)
    forums.delete_item(current_user, item)
    db.session.commit()
    flash(_("The session has been removed from the programme."), "ok")
    return redirect(url_for("forums.organiser", event_id=event.id), 303)


def _item_of(event, item_id: str | None) -> ProgrammeItem:
    number = parse_id(item_id)
    item = db.session.get(ProgrammeItem, number) if number is not None else None
    if item is None or item.event_id != event.id:
        abort(404)
    return item


@bp.route("/organiser/<int:event_id>/groups", methods=["POST"])
@manager_required
def add_group(event_id: int):
    event = _forum_to_manage(event_id)
    form = GroupForm()
    form.group_item.choices = item_choices(forums.programme(event.id), event)
    if not form.validate_on_submit():
        return _organiser_page(event, 422, group_form=form)
    forums.add_group(
        current_user,
        _item_of(event, form.group_item.data),
        name=form.group_name.data.strip(),
        capacity=form.group_capacity.data,
        room=(form.group_room.data or "").strip(),
    )
    db.session.commit()
    flash(_("The discussion group has been added."), "ok")
    return redirect(url_for("forums.organiser", event_id=event.id), 303)


@bp.route("/organiser/groups/<int:group_id>/delete", methods=["POST"])
@manager_required
def delete_group(group_id: int):
    group = db.session.get(DiscussionGroup, group_id) or abort(404)
    event = _forum_to_manage(group.item.event_id)
    forums.delete_group(current_user, group)
    db.session.commit()
    flash(_("The discussion group has been removed."), "ok")
    return redirect(url_for("forums.organiser", event_id=event.id), 303)


@bp.route("/organiser/<int:event_id>/headcount", methods=["POST"])
@manager_required
def headcount(event_id: int):
    event = _forum_to_manage(event_id)
    form = HeadcountForm()
    form.count_item.choices = item_choices(forums.programme(event.id), event)
    if not form.validate_on_submit():
        return _organiser_page(event, 422, headcount_form=form)
    forums.record_headcount(
        current_user, _item_of(event, form.count_item.data), form.count.data,
        note=(form.count_note.data or "").strip(),
    )  # fmt: skip
    db.session.commit()
    flash(_("The headcount has been recorded."), "ok")
    return redirect(url_for("forums.organiser", event_id=event.id), 303)


@bp.route("/organiser/<int:event_id>/settings", methods=["POST"])
@manager_required
def settings(event_id: int):
    event = _forum_to_manage(event_id)
    form = SettingsForm()
    if not form.validate_on_submit():
        return _organiser_page(event, 422, settings_form=form)
    forums.set_registration_optional(current_user, event, form.registration_optional.data)
    db.session.commit()
    flash(_("The settings have been saved."), "ok")
    return redirect(url_for("forums.organiser", event_id=event.id), 303)
