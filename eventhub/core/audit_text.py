"""The audit log as sentences in the reader's language, not action codes.

Every action recorded with ``services.audit.record`` has a sentence here (a test reads the
source to make sure); its placeholders are filled from the entry: who did it, the event, the
name of the object (read at display time, so the log holds only ids), and the counts kept in
its details.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eventhub.core import labels
from eventhub.core.models import (
    AuditEntry,
    DataRequest,
    Municipality,
    Organisation,
    Place,
    Project,
    Role,
    User,
)
from eventhub.extensions import db

SENTENCES = {
    "signed_in": _l("%(who)s signed in."),
    "password_reset": _l("%(who)s chose a new password."),
    "event_created": _l("%(who)s created the event %(event)s."),
    "event_edited": _l("%(who)s edited the event %(event)s."),
    "event_published": _l("%(who)s published the event %(event)s."),
    "event_cancelled": _l("%(who)s cancelled the event %(event)s."),
    "event_duplicated": _l("%(who)s made the event %(event)s as a copy of another."),
    "event_closed": _l(
        "%(who)s closed the event %(event)s (participations: %(participations)s, counted "
        "at the door: %(headcount)s)."
    ),
    "event_reopened": _l("%(who)s reopened the event %(event)s."),
    "event_linked": _l("%(who)s linked an event to the hackathon %(event)s."),
    "question_added": _l("%(who)s added a question to the form of %(event)s."),
    "question_removed": _l("%(who)s removed a question from the form of %(event)s."),
    "question_removed_with_answers": _l(
        "%(who)s removed a question from the form of %(event)s with the answers given to it "
        "(%(count)s)."
    ),
    "question_edited": _l("%(who)s edited a question on the form of %(event)s."),
    "question_moved": _l("%(who)s moved a question on the form of %(event)s."),
    "guidance_topic_added": _l("%(who)s added a guidance topic to the project %(project)s."),
    "guidance_logged": _l("%(who)s logged a guidance session for the project %(project)s."),
    "guidance_deleted": _l("%(who)s deleted a guidance session of the project %(project)s."),
    "registration_added": _l("%(who)s added a registration to %(event)s."),
    "registration_approved": _l("%(who)s approved a registration for %(event)s."),
    "registration_rejected": _l("%(who)s rejected a registration for %(event)s."),
    "registration_promoted": _l("%(who)s gave a place from the waiting list at %(event)s."),
    "registration_cancelled_by_organiser": _l("%(who)s cancelled a registration for %(event)s."),
    "registrations_messaged": _l(
        "%(who)s sent a message to the participants of %(event)s (recipients: %(count)s)."
    ),
    "registrations_exported": _l("%(who)s exported the registrations of %(event)s."),
    "checked_in": _l("%(who)s checked a participant in at %(event)s."),
    "check_in_undone": _l("%(who)s undid a check-in at %(event)s."),
    "import_confirmed": _l(
        "%(who)s imported a file into the project %(project)s (rows added: %(rows)s)."
    ),
    "import_undone": _l(
        "%(who)s undid an import into the project %(project)s (rows removed: %(rows)s)."
    ),
    "team_added": _l("%(who)s added a team to %(event)s."),
    "team_member_added": _l("%(who)s added a member to a team at %(event)s."),
    "initiative_continues": _l(
        "%(who)s linked an initiative at %(event)s to the one it continues from an earlier event."
    ),
    "mail.retry": _l("%(who)s sent a failed message again."),
    "door_device_enrolled": _l("%(who)s connected a check-in device to %(event)s."),
    "door_tap": _l("A check-in device of %(who)s recorded a tap at %(event)s."),
    "door_device_revoked": _l("%(who)s disconnected a check-in device from %(event)s."),
    "walk_in_added": _l("%(who)s added a walk-in at %(event)s."),
    "walk_in_removed": _l("%(who)s removed a walk-in at %(event)s."),
    "headcount_added": _l("%(who)s recorded a headcount of %(count)s at %(event)s."),
    "headcount_changed": _l(
        "%(who)s changed a headcount at %(event)s from %(before)s to %(count)s."
    ),
    "headcount_removed": _l("%(who)s removed a headcount of %(count)s at %(event)s."),
    "sheet_recorded": _l(
        "%(who)s recorded the sign-in sheet of %(event)s (added: %(added)s, removed: %(removed)s)."
    ),
    "challenge_added": _l("%(who)s added a challenge to %(event)s."),
    "challenge_published": _l("%(who)s published a challenge of %(event)s."),
    "challenge_unpublished": _l("%(who)s withdrew a challenge of %(event)s."),
    "initiative_status": _l("%(who)s changed the status of an initiative at %(event)s."),
    "mentoring_session": _l("%(who)s recorded a mentoring session at %(event)s."),
    "series_created": _l("%(who)s created a workshop series."),
    "series_sessions": _l("%(who)s changed the sessions of a workshop series."),
    "series_dates_created": _l("%(who)s added dates to a workshop series by a pattern."),
    "programme_item_added": _l("%(who)s added a programme item to %(event)s."),
    "programme_item_deleted": _l("%(who)s removed a programme item from %(event)s."),
    "discussion_group_added": _l("%(who)s added a discussion group to %(event)s."),
    "discussion_group_deleted": _l("%(who)s removed a discussion group from %(event)s."),
    "session_headcount": _l("%(who)s recorded %(count)s people at a programme item of %(event)s."),
    "registration_optional": _l("%(who)s changed whether %(event)s needs registration."),
    "project_created": _l("%(who)s created the project %(name)s."),
    "project_edited": _l("%(who)s edited the project %(name)s."),
    "annex_settings": _l(
        "%(who)s changed the ESF+ Annex I and follow-up settings of the project %(name)s."
    ),
    "volunteer_work_added": _l("%(who)s recorded volunteer hours at %(event)s."),
    "volunteer_work_removed": _l("%(who)s removed volunteer hours at %(event)s."),
    "municipality_added": _l("%(who)s added the municipality %(name)s."),
    "municipality_edited": _l("%(who)s corrected the municipality %(name)s."),
    "place_added": _l("%(who)s added the place %(name)s."),
    "place_edited": _l("%(who)s corrected the place %(name)s."),
    "municipality_deleted": _l("%(who)s deleted the unused municipality %(deleted)s."),
    "place_deleted": _l("%(who)s deleted the unused place %(deleted)s."),
    "municipalities_merged": _l(
        "%(who)s merged %(merged)s into the municipality %(name)s (records moved: %(count)s)."
    ),
    "places_merged": _l(
        "%(who)s merged %(merged)s into the place %(name)s (records moved: %(count)s)."
    ),
    "organisation_added": _l("%(who)s added the organisation %(name)s."),
    "organisation_edited": _l("%(who)s edited and confirmed the organisation %(name)s."),
    "organisation_confirmed": _l("%(who)s confirmed the organisation %(name)s."),
    "organisations_merged": _l(
        "%(who)s merged %(merged)s into the organisation %(name)s (records moved: %(count)s)."
    ),
    "user_invited": _l("%(who)s invited %(name)s as %(role)s."),
    "invitation_resent": _l("%(who)s sent %(name)s a new invitation."),
    "invitation_accepted": _l("%(who)s accepted the invitation and chose a password."),
    "user_edited": _l("%(who)s changed the account of %(name)s."),
    "user_deactivated": _l("%(who)s deactivated the account of %(name)s."),
    "user_reactivated": _l("%(who)s reactivated the account of %(name)s."),
    "data_request_made": _l("A participant asked for their data (request %(name)s)."),
    "data_request_confirmed": _l("The participant confirmed the data request %(name)s."),
    "personal_data_exported": _l("The participant downloaded their data (request %(name)s)."),
    "personal_data_corrected": _l("The participant corrected their data (request %(name)s)."),
    "personal_data_erased": _l("The participant's data was erased (request %(name)s)."),
    "erasure_released": _l(
        "%(who)s erased the records a project kept from the erasure request %(name)s."
    ),
    "erasure_hold_set": _l(
        "%(who)s changed why the project %(project)s keeps records from erasure."
    ),
    "data_requests_expired": _l("%(count)s requests for personal data expired or closed."),
    "api_token_created": _l("%(who)s made an API token for the project %(project)s."),
    "api_token_revoked": _l("%(who)s revoked an API token of the project %(project)s."),
    "webhook_created": _l("%(who)s added a webhook to the project %(project)s."),
    "webhook_deleted": _l("%(who)s deleted a webhook of the project %(project)s."),
    "webhook_enabled": _l("%(who)s turned on a webhook of the project %(project)s."),
    "webhook_disabled": _l("%(who)s turned off a webhook of the project %(project)s."),
    "webhook_redelivered": _l("%(who)s sent a webhook notice of the project %(project)s again."),
    "embed_origins_changed": _l(
        "%(who)s changed the sites that may embed the events of the project %(project)s "
        "(sites: %(count)s)."
    ),
}

# What each kind of object is called in a sentence, read in one query per kind and page.
_NAMED: dict[str, tuple[Any, Callable[[Any], str]]] = {
    "project": (Project, lambda p: f"{p.code} {p.name}"),
    "municipality": (Municipality, lambda m: m.name),
    "place": (Place, lambda p: p.name),
    "organisation": (Organisation, lambda o: o.name),
    "user": (User, lambda u: u.name),
    "datarequest": (DataRequest, lambda r: f"#{r.id}"),
}


def sentences(entries: Iterable[AuditEntry]) -> dict[int, str]:
    """Each entry's sentence, by entry id, in the current language."""
    entries = list(entries)
    names = _object_names(entries)
    projects = _project_names(entries)
    return {e.id: _sentence(e, names, projects) for e in entries}


def _object_names(entries: list[AuditEntry]) -> dict[tuple[str, int | None], str]:
    wanted: dict[str, set[int]] = {}
    for e in entries:
        if e.object_type in _NAMED and e.object_id is not None:
            wanted.setdefault(e.object_type, set()).add(e.object_id)
    found: dict[tuple[str, int | None], str] = {}
    for kind, ids in wanted.items():
        model, name = _NAMED[kind]
        for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
            found[(kind, obj.id)] = name(obj)
    return found


def _project_names(entries: list[AuditEntry]) -> dict[int | None, str]:
    ids = {e.details.get("project_id") for e in entries if e.details}
    ids.discard(None)
    if not ids:
        return {}
    rows = db.session.execute(select(Project.id, Project.code).where(Project.id.in_(ids)))
    return dict(rows.all())


def _sentence(
    e: AuditEntry, names: dict[tuple[str, int | None], str], projects: dict[int | None, str]
) -> str:
    details = e.details or {}
    missing = f"#{e.object_id}" if e.object_id is not None else "–"
    role = details.get("role")
    values = {
        "who": e.user.name if e.user else _("Someone without an account"),
        "event": e.event.title if e.event else _("an event since deleted"),
        "name": names.get((e.object_type, e.object_id), missing),
        "project": projects.get(details.get("project_id"), "–"),
        "merged": details.get("merged_name", "–"),
        "deleted": details.get("deleted_name", "–"),
        "role": labels.ROLE_LABELS.get(Role(role), role) if role in set(Role) else "–",
        "count": details.get("count", details.get("recipients", details.get("moved", "–"))),
        "before": details.get("before", "–"),
        "added": details.get("added", "–"),
        "removed": details.get("removed", "–"),
        "participations": details.get("participations", "–"),
        "headcount": details.get("headcount", "–"),
        "rows": details.get("rows_added", details.get("rows_removed", "–")),
    }
    template = SENTENCES.get(e.action)
    if template is None:  # an action from a newer version than this one
        return _("%(who)s: %(action)s.", who=values["who"], action=e.action)
    return str(template) % values
