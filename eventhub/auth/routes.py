from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from eventhub.auth import bp
from eventhub.auth.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm
from eventhub.core.services import accounts, audit
from eventhub.extensions import db, limiter
from eventhub.web import safe_next


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("manage.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            session[accounts.SESSION_KEY] = accounts.start_session(user)
            login_user(user)
            audit.record("signed_in", user=user)
            db.session.commit()
            return redirect(safe_next(form.next.data, url_for("manage.index")), 303)
        flash(_("The email address or password is not right."), "error")
    return render_template("auth/login.html", form=form), (422 if request.method == "POST" else 200)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    accounts.end_session(session.pop(accounts.SESSION_KEY, None))
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "ok")
    return redirect(url_for("auth.login"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.send_password_reset(form.email.data)
        db.session.commit()
        flash(_("If the address has an account, a link to reset the password is on its way."), "ok")
        return redirect(url_for("auth.login"), 303)
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = accounts.user_for_reset_token(token)
    if user is None:
        flash(_("The link has expired or has been used already. Ask for a new one."), "error")
        return redirect(url_for("auth.forgot_password"), 303)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.set_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password has been changed. Please sign in."), "ok")
        return redirect(url_for("auth.login"), 303)
    return render_template("auth/reset.html", form=form)


@bp.route("/password/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """An invited colleague chooses a password, then signs in with it."""
    user = accounts.user_for_invitation(token)
    if user is None:
        flash(
            _(
                "The invitation has expired or has been used already. Ask whoever invited you "
                "to send a new one."
            ),
            "error",
        )
        return redirect(url_for("auth.login"), 303)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.accept_invitation(user, form.password.data)
        db.session.commit()
        flash(_("Your password is set. Please sign in."), "ok")
        return redirect(url_for("auth.login"), 303)
    status = 422 if form.errors else 200
    return render_template("auth/invitation.html", form=form, user=user), status
