"""Participants' requests for their data, as organisers see them: within their projects only,
with the legal reason a project keeps records from erasure (docs/privacy.md)."""

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.core import labels
from eventhub.core.services import access, data_requests
from eventhub.extensions import db
from eventhub.manage import bp
from eventhub.web.actions import act
from eventhub.web.decorators import manager_required


@bp.route("/data-requests")
@manager_required
def data_requests_list():
    found = data_requests.requests_for(current_user)
    return render_template(
        "manage/data_requests.html",
        requests=[(r, data_requests.projects_of(r, current_user)) for r in found],
        projects=list(db.session.scalars(access.projects_query(current_user))),
        status_labels=labels.DATA_REQUEST_STATUS_LABELS,
    )


@bp.route("/data-requests/<int:request_id>/release/<int:project_id>", methods=["POST"])
@manager_required
def release_data_request(request_id: int, project_id: int):
    found = data_requests.request_to_manage(current_user, request_id) or abort(404)
    project = access.project_to_manage(current_user, project_id)
    return act(
        lambda: data_requests.release(current_user, found, project),
        done=_("The records this project kept have been erased."),
        to=url_for("manage.data_requests_list"),
    )


@bp.route("/projects/<int:project_id>/erasure-hold", methods=["POST"])
@manager_required
def set_erasure_hold(project_id: int):
    project = access.project_to_manage(current_user, project_id)
    reason = request.form.get("reason", "")
    return act(
        lambda: data_requests.set_hold(current_user, project, reason),
        done=_("The project's reason for keeping records has been saved."),
        to=url_for("manage.data_requests_list"),
    )
