"""Mail that failed for good, for admins: the list and the retry (organiser workspace)."""

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from eventhub.core.services import failed_mail
from eventhub.manage import bp
from eventhub.web.actions import act
from eventhub.web.decorators import admin_required


@bp.route("/mail/failed")
@admin_required
def failed_mail_list():
    return render_template(
        "manage/failed_mail.html", messages=failed_mail.failed(), backlog=failed_mail.backlog()
    )


@bp.route("/mail/failed/<int:message_id>/retry", methods=["POST"])
@admin_required
def retry_failed_mail(message_id: int):
    return act(
        lambda: failed_mail.retry(message_id, user=current_user),
        done=_("The message has been queued again."),
        to=url_for("manage.failed_mail_list"),
    )


@bp.route("/mail/failed/retry-all", methods=["POST"])
@admin_required
def retry_all_failed_mail():
    return act(
        lambda: failed_mail.retry_all(user=current_user),
        done=lambda count: [
            ngettext(
                "%(num)d message has been queued again.",
                "%(num)d messages have been queued again.",
                count,
            )
        ],
        to=url_for("manage.failed_mail_list"),
    )
