"""Hackathon forms: the team part of the signup form, the participant's team actions,
and the organiser's challenges, initiatives and linked events."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from eventhub.core import labels
from eventhub.core.models import Event
from eventhub.core.services import hackathons
from eventhub.web.forms import choices as select_choices

INITIATIVE_STATUS_LABELS = labels.INITIATIVE_STATUS_LABELS


def challenge_choices(event_id: int) -> list[SelectChoice]:
    return select_choices(
        [("", _l("Not decided yet"))]
        + [(str(c.id), c.title) for c in hackathons.published_challenges(event_id)]
    )


def add_signup_fields(form_cls: type, event: Event) -> None:
    """Alone or as a team: start a team, join one with its code, or say "I have no team"."""
    event_id = event.id
    form_cls.format_legend = _l("Your team")
    form_cls.fmt_team_mode = RadioField(
        _l("Are you coming with a team?"),
        choices=select_choices(
            [
                ("none", _l("I have no team (yet)")),
                ("create", _l("I am starting a team")),
                ("join", _l("I am joining a team: I have its code")),
            ]
        ),
        default="none",
        validators=[Optional()],  # not sent: alone, like the default
    )
    form_cls.fmt_looking = BooleanField(
        _l("I am looking for a team: teams of this hackathon may see my first name and note"),
        default=False,
    )
    form_cls.fmt_seeker_note = StringField(
        _l("What you bring or look for (optional)"),
        validators=[Length(max=500)],
    )
    form_cls.fmt_team_name = StringField(
        _l("Team name"),
        description=_l("Shown on the hackathon page. You get a code to give your team mates."),
        validators=[Length(max=hackathons.TEAM_NAME_MAX)],
    )
    challenges = challenge_choices(event.id)
    if len(challenges) > 1:
        form_cls.fmt_challenge = SelectField(
            _l("Challenge"), choices=challenges, validators=[Optional()]
        )
    form_cls.fmt_idea = StringField(
        _l("Your team's idea in a few words (optional)"), validators=[Length(max=200)]
    )
    form_cls.fmt_join_code = StringField(
        _l("Team code"),
        description=_l("The code the person who started the team received by email."),
        validators=[Length(max=32)],
    )

    def validate_fmt_team_name(form, field):
        if form.fmt_team_mode.data != "create":
            return
        name = " ".join((field.data or "").split())
        if not name:
            raise ValidationError(_l("Please give your team a name."))
        if hackathons.name_taken(event_id, name):
            raise ValidationError(_l("There is a team with this name already. Choose another."))

    def validate_fmt_join_code(form, field):
        if form.fmt_team_mode.data != "join":
            return
        if not hackathons.normalise_code(field.data):
            raise ValidationError(_l("Please enter the code of your team."))
        if hackathons.team_by_code(event_id, field.data) is None:
            raise ValidationError(
                _l("No team of this hackathon has that code. Please check it with your team.")
            )

    form_cls.validate_fmt_team_name = validate_fmt_team_name
    form_cls.validate_fmt_join_code = validate_fmt_join_code


class CreateTeamForm(FlaskForm):
    name = StringField(
        _l("Team name"),
        validators=[
            DataRequired(_l("Please give your team a name.")),
            Length(max=hackathons.TEAM_NAME_MAX),
        ],
    )
    challenge = SelectField(_l("Challenge"), validators=[Optional()])
    idea = StringField(_l("Your team's idea in a few words (optional)"), [Length(max=200)])


class JoinTeamForm(FlaskForm):
    code = StringField(
        _l("Team code"),
        validators=[DataRequired(_l("Please enter the code of your team.")), Length(max=32)],
    )


class SeekForm(FlaskForm):
    note = StringField(_l("What you bring or look for (optional)"), [Length(max=500)])


class ChallengeForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please give a title.")), Length(max=200)]
    )
    description = TextAreaField(_l("Description (optional)"), validators=[Optional()])
    published = BooleanField(_l("Publish now"))


class InitiativeForm(FlaskForm):
    title = StringField(
        _l("Initiative"), validators=[DataRequired(_l("Please give a title.")), Length(max=200)]
    )
    description = TextAreaField(_l("Description (optional)"), validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=select_choices((s.value, label) for s, label in INITIATIVE_STATUS_LABELS.items()),
        validators=[InputRequired()],
    )
    continues_from = SelectField(
        _l("Continues from (the same initiative at an earlier event)"), validators=[Optional()]
    )


class OrganiserTeamForm(FlaskForm):
    """A team recorded by an organiser (a past hackathon, or teams formed on paper)."""

    name = StringField(
        _l("Team name"),
        validators=[
            DataRequired(_l("Please give the team a name.")),
            Length(max=hackathons.TEAM_NAME_MAX),
        ],
    )
    challenge = SelectField(_l("Challenge"), validators=[Optional()])
    initiative = StringField(_l("Initiative"), validators=[Optional(), Length(max=200)])
    status = SelectField(
        _l("Status"),
        choices=select_choices((s.value, label) for s, label in INITIATIVE_STATUS_LABELS.items()),
        validators=[InputRequired()],
    )


class MemberForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please write the person's name.")), Length(max=200)],
    )
    email = StringField(
        _l("Email (optional)"),
        description=_l("Nobody is mailed; with an email the person is recognised elsewhere."),
        validators=[Optional(), Email(_l("Please check the email address.")), Length(max=254)],
    )


class LinkEventForm(FlaskForm):
    event = SelectField(_l("Event"), validators=[InputRequired(_l("Please choose an event."))])
    team = SelectField(_l("Team (mentoring sessions)"), validators=[Optional()])
