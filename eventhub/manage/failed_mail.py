"""Mail that failed for good, for admins: the list and the retry (organiser workspace)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from eventhub.core.services import failed_mail
from eventhub.extensions import db
from eventhub.manage import bp
from eventhub.manage.decorators import admin_required


@bp.route("/mail/failed")
@admin_required
def failed_mail_list():
    return render_template(
        "manage/failed_mail.html", messages=failed_mail.failed(), backlog=failed_mail.backlog()
    )


@bp.route("/mail/failed/<int:message_id>/retry", methods=["POST"])
@admin_required
def retry_failed_mail(message_id: int):
    if failed_mail.retry(message_id, user=current_user):
        db.session.commit()
        flash(_("The message has been queued again."), "ok")
    else:
        flash(_("That message is no longer waiting for a retry."), "error")
    return redirect(url_for("manage.failed_mail_list"), 303)


@bp.route("/mail/failed/retry-all", methods=["POST"])
@admin_required
def retry_all_failed_mail():
    count = failed_mail.retry_all(user=current_user)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d message has been queued again.",
            "%(num)d messages have been queued again.",
            count,
        ),
        "ok",
    )
    return redirect(url_for("manage.failed_mail_list"), 303)
