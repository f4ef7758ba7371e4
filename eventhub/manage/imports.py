"""Organiser pages for bringing records in by file: upload, preview, confirm, undo.

The parsed upload waits server-side as a staged :class:`ImportBatch` under a random id, not
in the session cookie. Rules live in core.services.imports.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import Event, ImportBatch, ImportKind
from eventhub.core.services import access
from eventhub.core.services import imports as service
from eventhub.extensions import db
from eventhub.manage import bp
from eventhub.manage.import_forms import ImportForm
from eventhub.web.decorators import manager_required
from eventhub.web.exports import Sheet, csv_download, xlsx_download
from eventhub.web.forms import choices

UPLOAD_ENDPOINTS = {"manage.imports"}


@bp.record_once
def _allow_uploads(state) -> None:
    """The upload page takes files up to IMPORT_MAX_BYTES; every other request keeps the
    small MAX_CONTENT_LENGTH. Runs before CSRF protection reads the form."""

    def allow():
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = current_app.config["IMPORT_MAX_BYTES"] + 64 * 1024

    state.app.before_request_funcs.setdefault(None, []).insert(0, allow)


@bp.errorhandler(413)
def _too_large(_e):
    limit = current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024)
    return (
        render_template(
            "errors.html",
            title=_("The file is too large"),
            message=_(
                "The largest file accepted is %(max)s MB. Split the file into smaller ones "
                "and upload them one by one.",
                max=limit,
            ),
        ),
        413,
    )


def _past_events(project) -> list[Event]:
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.project_id == project.id, Event.starts_at <= utcnow())
            .order_by(Event.starts_at.desc())
            .limit(500)
        )
    )


def _form(project) -> ImportForm:
    form = ImportForm()
    form.event.choices = choices(
        [("", _("Choose an event"))]
        + [(e.id, f"{e.local_start:%Y-%m-%d} {e.title}") for e in _past_events(project)]
    )
    if not form.is_submitted() and request.args.get("event"):
        form.event.data = request.args["event"]
        form.kind.data = ImportKind.ATTENDANCE.value
    return form


@bp.route("/projects/<int:project_id>/imports", methods=["GET", "POST"])
@manager_required
def imports(project_id: int):
    project = access.project_to_manage(current_user, project_id)
    form = _form(project)
    if form.validate_on_submit():
        event = None
        if form.event.data and form.kind.data == ImportKind.ATTENDANCE:
            event = access.event_to_manage(current_user, int(form.event.data))
        upload = form.file.data
        try:
            batch = service.stage(
                current_user,
                project,
                ImportKind(form.kind.data),
                upload.read(),
                upload.filename or "",
                event=event,
            )
        except service.ImportFileError as exc:
            form.file.errors.append(exc.message)
        else:
            db.session.commit()
            return redirect(url_for("manage.import_preview", token=batch.token), 303)
    return (
        render_template(
            "manage/imports.html",
            project=project,
            form=form,
            batches=service.batches(project),
            kinds=list(ImportKind),
            kind_labels=service.KIND_LABELS,
        ),
        422 if form.errors else 200,
    )


def _batch(token: str) -> ImportBatch:
    batch = service.staged_batch(current_user, token)
    if batch is None:
        abort(404)
    access.project_to_manage(current_user, batch.project_id)
    return batch


@bp.route("/imports/<token>")
@manager_required
def import_preview(token: str):
    batch = _batch(token)
    return render_template(
        "manage/import_preview.html",
        batch=batch,
        staged=batch.staged,
        columns=service.columns(batch.kind, batch.project),
        preview_rows=service.PREVIEW_ROWS,
        preview=service.preview(batch) if batch.staged.get("rows") else [],
        kind_labels=service.KIND_LABELS,
    )


@bp.route("/imports/<token>/confirm", methods=["POST"])
@manager_required
def import_confirm(token: str):
    batch = _batch(token)
    try:
        service.confirm(current_user, batch)
    except service.ImportRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("manage.import_preview", token=token), 303)
    db.session.commit()
    flash(
        _(
            "%(added)s rows imported; %(existing)s were there already.",
            added=batch.rows_added,
            existing=batch.rows_existing,
        ),
        "ok",
    )
    return redirect(url_for("manage.imports", project_id=batch.project_id), 303)


@bp.route("/imports/<token>/undo", methods=["POST"])
@manager_required
def import_undo(token: str):
    batch = _batch(token)
    try:
        service.undo(current_user, batch)
    except service.ImportRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("The import has been undone."), "ok")
    return redirect(url_for("manage.imports", project_id=batch.project_id), 303)


@bp.route("/projects/<int:project_id>/imports/template/<kind>.<ext>")
@manager_required
def import_template(project_id: int, kind: str, ext: str):
    project = access.project_to_manage(current_user, project_id)
    try:
        import_kind = ImportKind(kind)
    except ValueError:
        abort(404)
    sheet = Sheet(import_kind.value, str(service.KIND_LABELS[import_kind])[:31],
                  service.template_header(import_kind, project))  # fmt: skip
    name = f"{import_kind.value}-template"
    if ext == "csv":
        return csv_download(sheet, name)
    if ext == "xlsx":
        return xlsx_download([sheet], name)
    abort(404)


@bp.route("/imports")
@manager_required
def import_projects():
    """Imports are per project: go straight to the only one, or choose."""
    projects = db.session.scalars(access.projects_query(current_user)).all()
    if len(projects) == 1:
        return redirect(url_for("manage.imports", project_id=projects[0].id))
    return render_template("manage/import_projects.html", projects=projects)
