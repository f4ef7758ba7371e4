"""`flask --app wsgi eventhub ...` commands."""

from __future__ import annotations

import secrets
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from eventhub.core.models import Project, Role, User
from eventhub.extensions import db

group = AppGroup("eventhub", help="eventhub administration.")


@group.command("demo")
def demo_command() -> None:
    """Load the demo data (safe to run again: what exists is left alone)."""
    from eventhub.demo import load_demo

    created = load_demo()
    password = _demo_organiser()
    db.session.commit()
    click.echo(f"Demo data ready ({created} projects added).")
    if password:
        click.echo(
            f"Sign in as an organiser at /login: {DEMO_ADMIN} with the password {password}\n"
            "(shown this once; `flask --app wsgi eventhub create-user` makes more accounts)."
        )


DEMO_ADMIN = "admin@demo.invalid"


def _demo_organiser() -> str | None:
    """An admin account for trying the organiser pages, made only in a database that has
    no accounts at all, with a random password that is printed once and never stored."""
    if db.session.scalar(select(User.id).limit(1)) is not None:
        return None
    password = secrets.token_urlsafe(12)
    user = User(email=DEMO_ADMIN, name="Demo admin", role=Role.ADMIN)
    user.set_password(password)
    db.session.add(user)
    return password


@group.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.MANAGER.value)
@click.option("--project", "project_codes", multiple=True, help="Project code (repeatable).")
def create_user_command(email: str, name: str, role: str, project_codes: tuple[str, ...]) -> None:
    """Create an organiser account.

    The password is read from a prompt, or from the first line of stdin when it is not a
    terminal; never from an argument, where it would end up in shell history and `ps`.
    """
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 10:
        raise click.BadParameter("at least 10 characters", param_hint="password")
    email = email.strip().lower()
    if db.session.scalar(select(User).where(User.email == email)):
        raise click.ClickException(f"a user with the email {email} exists already")
    projects = []
    for code in project_codes:
        project = db.session.scalar(select(Project).where(Project.code == code))
        if project is None:
            raise click.ClickException(f"no project with the code {code}")
        projects.append(project)
    user = User(email=email, name=name, role=Role(role), projects=projects)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {email}.")


@group.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep running, polling the outbox.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
@click.option("--batch", default=50, show_default=True, help="Messages per batch.")
def send_mail_command(loop: bool, interval: float, batch: int) -> None:
    """Deliver queued mail. Several workers may run at once; each message goes once."""
    from eventhub.core.services import outbox

    while True:
        total = outbox.DeliveryReport()
        try:
            while True:
                report = outbox.deliver(limit=batch)
                total.sent += report.sent
                total.retried += report.retried
                total.failed += report.failed
                if report.sent + report.retried + report.failed < batch:
                    break
        except SQLAlchemyError:
            if not loop:
                raise
            # The database went away for a moment: a worker waits and tries again.
            db.session.rollback()
            current_app.logger.exception("send-mail: database error, retrying")
        if not loop:
            click.echo(f"{total.sent} sent, {total.retried} to retry, {total.failed} failed.")
            return
        time.sleep(interval)


@group.command("failed-mail")
@click.option("--retry", "retry_id", type=int, help="Queue this failed message again.")
@click.option("--retry-all", is_flag=True, help="Queue every failed message again.")
def failed_mail_command(retry_id: int | None, retry_all: bool) -> None:
    """List mail that failed for good, or queue it again (each message once; audited)."""
    from eventhub.core.services import failed_mail, outbox

    if retry_id is not None or retry_all:
        if retry_all:
            count = failed_mail.retry_all(via="command")
        else:
            try:
                failed_mail.retry(retry_id, via="command")
            except failed_mail.RetryRefused:
                raise click.ClickException(f"message {retry_id} is not a failed message") from None
            count = 1
        db.session.commit()
        click.echo(f"{count} queued again.")
        report = outbox.deliver_committed()
        if report is not None:
            click.echo(f"{report.sent} sent, {report.retried} to retry, {report.failed} failed.")
        return
    messages = failed_mail.failed()
    if not messages:
        click.echo("No failed mail.")
        return
    for m in messages:
        click.echo(
            f"{m.id}\t{m.created_at:%Y-%m-%d %H:%M} UTC\t{m.kind}\t{m.recipient}\t"
            f"{m.attempts} attempts\t{m.error}"
        )


@group.command("send-reminders")
def send_reminders_command() -> None:
    """Queue reminders for events starting soon (safe to run every few minutes; the worker
    runs it on its own)."""
    from eventhub import tasks

    click.echo(tasks.send_reminders())


@group.command("send-surveys")
@click.option(
    "--max-age-days",
    default=14,
    show_default=True,
    help="Only events closed within this many days (older ones are never surveyed).",
)
def send_surveys_command(max_age_days: int) -> None:
    """Mail the participation survey to who attended closed events (once per registration;
    safe to run every hour; the worker runs it on its own)."""
    from eventhub import tasks

    click.echo(tasks.send_surveys(max_age_days))


@group.command("send-followups")
def send_followups_command() -> None:
    """Queue the follow-up questionnaires that are due (before, at leaving, six months on)
    and their reminders; each once per person and stage, so safe to run every hour. The
    worker runs the same as its periodic job "followups"."""
    from eventhub.core.services import followups, outbox

    report = followups.queue()
    db.session.commit()
    outbox.deliver_committed()
    click.echo(f"{report}.")


@group.command("retention")
@click.option("--dry-run", is_flag=True, help="Count what would be anonymised, change nothing.")
def retention_command(dry_run: bool) -> None:
    """Anonymise the personal data of projects whose retention period has passed. The
    indicators keep exactly their figures (the worker runs it daily on its own)."""
    from eventhub import tasks

    click.echo(tasks.retention(dry_run))


@group.command("worker")
@click.option(
    "--once", is_flag=True, help="One pass (drain the queues, run what is due), then exit."
)
@click.option("--batch", type=int, help="Items per batch [WORKER_BATCH].")
@click.option("--poll", type=float, help="Seconds between passes when idle [WORKER_POLL_SECONDS].")
def worker_command(once: bool, batch: int | None, poll: float | None) -> None:
    """Deliver queued work (mail, ...) and run the periodic jobs (reminders, surveys,
    retention, ...) on their schedule. Any number may run on any number of machines: each
    periodic job runs once per due time. SIGTERM stops it after the work in hand."""
    from eventhub.worker import Worker

    worker = Worker(current_app._get_current_object(), batch=batch, poll=poll)
    worker.install_signal_handlers()
    worker.run(once=once)


@group.command("close-data-requests")
def close_data_requests_command() -> None:
    """Expire unconfirmed data-request links (24 h) and close requests after 30 days; the
    worker runs the same as its periodic job ``data_requests``."""
    from eventhub.core.services import data_requests

    click.echo(data_requests.close_expired())


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
