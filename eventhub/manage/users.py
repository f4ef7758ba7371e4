"""Set-up pages: organiser accounts. Invited by mail; nobody needs a shell after the first
admin (who comes from `flask eventhub create-user`)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.core.models import Project, Role
from eventhub.core.services import access, accounts
from eventhub.extensions import db
from eventhub.manage import bp
from eventhub.manage.setup_forms import InviteForm, UserForm
from eventhub.web.decorators import manager_required


def _status(form) -> int:
    return 422 if form.errors else 200


def _fill(form: InviteForm) -> None:
    form.fill(
        access.roles_to_give(current_user),
        db.session.scalars(access.projects_query(current_user)).all(),
    )


def _projects(form: InviteForm) -> list[Project]:
    """The chosen projects; the form's choices were the user's own, so no other can come."""
    ids = form.project_ids() if form.role.data != Role.ADMIN.value else set()
    if not ids:
        return []
    return list(db.session.scalars(access.projects_query(current_user).where(Project.id.in_(ids))))


@bp.route("/users/")
@manager_required
def users_list():
    return render_template(
        "manage/setup/users.html", users=db.session.scalars(access.users_query(current_user)).all()
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@manager_required
def invite_user():
    form = InviteForm(role=Role.MANAGER.value)
    _fill(form)
    if form.validate_on_submit():
        try:
            user = accounts.invite(
                current_user,
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                projects=_projects(form),
            )
        except accounts.EmailTaken:
            db.session.rollback()
            form.email.errors.append(_("An account with this address exists already."))
        else:
            db.session.commit()
            flash(_("%(email)s has been sent an invitation.", email=user.email), "ok")
            return redirect(url_for("manage.users_list"), 303)
    return render_template("manage/setup/user_form.html", form=form, user=None), _status(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@manager_required
def edit_user(user_id: int):
    user = access.user_to_manage(current_user, user_id)
    form = UserForm(obj=user)
    _fill(form)
    if not form.is_submitted():
        form.role.data = user.role.value
        form.projects.data = [str(p.id) for p in user.projects]
    if form.validate_on_submit():
        accounts.update(
            current_user,
            user,
            name=form.name.data,
            role=Role(form.role.data),
            projects=_projects(form),
        )
        db.session.commit()
        flash(_("Saved."), "ok")
        return redirect(url_for("manage.users_list"), 303)
    return render_template("manage/setup/user_form.html", form=form, user=user), _status(form)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@manager_required
def deactivate_user(user_id: int):
    user = access.user_to_manage(current_user, user_id)
    accounts.set_active(current_user, user, False)
    db.session.commit()
    flash(_("%(name)s can no longer sign in.", name=user.name), "ok")
    return redirect(url_for("manage.users_list"), 303)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@manager_required
def reactivate_user(user_id: int):
    user = access.user_to_manage(current_user, user_id)
    accounts.set_active(current_user, user, True)
    db.session.commit()
    flash(_("%(name)s can sign in again.", name=user.name), "ok")
    return redirect(url_for("manage.users_list"), 303)


@bp.route("/users/<int:user_id>/resend", methods=["POST"])
@manager_required
def resend_invitation(user_id: int):
    user = access.user_to_manage(current_user, user_id)
    if user.invited_at is not None:
        accounts.resend_invitation(current_user, user)
        db.session.commit()
        flash(_("%(email)s has been sent a new invitation.", email=user.email), "ok")
    return redirect(url_for("manage.users_list"), 303)
