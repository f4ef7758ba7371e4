"""The periodic jobs' bodies, shared by their commands (`flask eventhub send-reminders`, ...)
and the worker (registered in ``create_app``). Each does its work once, commits, delivers
inline what it queued when delivery is inline, and returns a line for the log.

Each is safe to run again and at the same time as itself: reminders lock each event and
mark it reminded in the transaction that queues its mail; a survey invitation's row (keyed
by the registration) is written with its mail; anonymising changes only what is not
anonymised yet. So a worker killed mid-job, whose job is then run again by another, does
nothing twice that a person would notice.
"""

from __future__ import annotations

from flask import current_app

from eventhub.extensions import db


def send_reminders() -> str:
    from eventhub.core.services import outbox, reminders

    queued = reminders.queue_reminders(current_app.config["REMINDER_HOURS_BEFORE"])
    db.session.commit()
    outbox.deliver_committed()
    return f"{queued} reminders queued."


def send_surveys(max_age_days: int | None = None) -> str:
    from eventhub.core.services import outbox, surveys

    if max_age_days is None:
        max_age_days = int(current_app.config["SURVEY_MAX_AGE_DAYS"])
    queued = surveys.queue_invitations(max_age_days=max_age_days)
    db.session.commit()
    outbox.deliver_committed()
    return f"{queued} survey invitations queued."


def retention(dry_run: bool = False) -> str:
    from eventhub.core.services import accounts
    from eventhub.core.services import retention as service
    from eventhub.limits import DatabaseStorage

    report = service.anonymise_expired()
    if dry_run:
        db.session.rollback()
    else:
        # Sign-ins and rate-limit counts name people and client addresses: kept no longer
        # than they are needed.
        accounts.end_stale_sessions()
        db.session.commit()
        DatabaseStorage().purge_expired()
    verb = "would be" if dry_run else "were"
    return (
        f"{report.projects} projects past retention: {report.registrations} registrations, "
        f"{report.walk_ins} walk-ins and {report.persons} persons {verb} anonymised; "
        f"other rows cleared: {report.other_rows}; mail to them deleted: {report.mail}."
    )
