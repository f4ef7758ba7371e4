from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Please enter your email address.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Please enter your email address.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 10 characters."),
        validators=[
            DataRequired(_l("Please enter a new password.")),
            Length(min=10, max=200, message=_l("Use at least 10 characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
