"""Hackathon pages: the public page with challenges, teams and initiatives; a
participant's team from the manage link; the organiser's challenges, initiatives and the
events around the hackathon."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventhub.core.labels import KIND_PLURALS
from eventhub.core.models import (
    Challenge,
    Event,
    EventKind,
    Initiative,
    InitiativeStatus,
    Team,
    TeamSeeker,
)
from eventhub.core.numbers import parse_id
from eventhub.core.services import access, hackathons, listing
from eventhub.core.services import registration as registrations
from eventhub.extensions import db, signup_limit
from eventhub.hackathons import bp
from eventhub.hackathons.forms import (
    INITIATIVE_STATUS_LABELS,
    ChallengeForm,
    CreateTeamForm,
    InitiativeForm,
    JoinTeamForm,
    LinkEventForm,
    MemberForm,
    OrganiserTeamForm,
    SeekForm,
    challenge_choices,
)
from eventhub.web.decorators import manager_required
from eventhub.web.forms import choices as select_choices
from eventhub.web.pages import render_listing


@bp.app_context_processor
def _labels():
    return {"initiative_status_labels": INITIATIVE_STATUS_LABELS}


@bp.route("/")
def index():
    return render_listing(EventKind.HACKATHON, str(KIND_PLURALS[EventKind.HACKATHON]))


def _public_hackathon(event_id: int) -> Event:
    event = listing.get_public_event(event_id)
    if event is None or event.kind != EventKind.HACKATHON:
        abort(404)
    return event


@bp.route("/<int:event_id>")
def hackathon(event_id: int):
    """Challenges, teams (names only) and initiatives: nothing about people."""
    event = _public_hackathon(event_id)
    related = hackathons.related_events(event)
    return render_template(
        "hackathons/hackathon.html",
        event=event,
        challenges=hackathons.published_challenges(event.id),
        teams=hackathons.teams(event.id),
        members=hackathons.member_counts(event.id),
        preparatory=[e for e in related.preparatory if e.is_public],
        follow_up=[e for e in related.follow_up if e.is_public],
    )


@bp.route("/initiatives/<int:initiative_id>")
def initiative(initiative_id: int):
    found = db.session.get(Initiative, initiative_id) or abort(404)
    event = _public_hackathon(found.team.event_id)
    mentoring = [
        e
        for e, team in hackathons.related_events(event).mentoring
        if team is not None and team.id == found.team_id
    ]
    return render_template(
        "hackathons/initiative.html",
        initiative=found,
        team=found.team,
        event=event,
        members=hackathons.member_counts(event.id).get(found.team_id, 0),
        mentoring=mentoring,
        # The earlier initiative is named only if its hackathon is public too.
        earlier=found.continues_from
        if found.continues_from is not None and found.continues_from.team.event.is_public
        else None,
    )


# --- participant ------------------------------------------------------------------------


def _hackathon_registration(token: str):
    registration = registrations.by_token(token) or abort(404)
    if registration.event.kind != EventKind.HACKATHON:
        abort(404)
    return registration


def _team_page(registration, token: str, status: int = 200, **forms):
    event = registration.event
    team = hackathons.team_of(registration)
    create_form = forms.get("create_form") or CreateTeamForm()
    create_form.challenge.choices = challenge_choices(event.id)
    seeker = db.session.get(TeamSeeker, registration.id)
    return render_template(
        "hackathons/my_team.html",
        registration=registration,
        event=event,
        team=team,
        members=hackathons.active_members(team) if team else [],
        seekers=hackathons.seekers(event.id) if team else [],
        seeking=seeker,
        active=registration.status in registrations.ACTIVE,
        create_form=create_form,
        join_form=forms.get("join_form") or JoinTeamForm(),
        seek_form=forms.get("seek_form") or SeekForm(data={"note": seeker.note if seeker else ""}),
        token=token,
    ), status


@bp.route("/manage/<token>/team")
def my_team(token: str):
    return _team_page(_hackathon_registration(token), token)


@bp.route("/manage/<token>/team/<action>", methods=["POST"])
def team_action(token: str, action: str):
    registration = _hackathon_registration(token)
    forms = {
        "create": ("create_form", CreateTeamForm),
        "join": ("join_form", JoinTeamForm),
        "seek": ("seek_form", SeekForm),
        "leave": (None, None),
    }
    if action not in forms:
        abort(404)
    name, form_cls = forms[action]
    form = form_cls() if form_cls else None
    if form is not None and action == "create":
        form.challenge.choices = challenge_choices(registration.event_id)
    if form is not None and not form.validate_on_submit():
        return _team_page(registration, token, 422, **{name: form})
    kw = {}
    if action == "create":
        kw = {
            "name": form.name.data,
            "challenge_id": parse_id(form.challenge.data),
            "idea": form.idea.data or "",
        }
    elif action == "join":
        kw = {"code": form.code.data}
    elif action == "seek":
        kw = {"note": form.note.data or ""}
    try:
        hackathons.team_action(registration, action, **kw)
    except hackathons.TeamError as refused:
        db.session.rollback()
        if form is not None:
            first = next(f for f in form if f.name != "csrf_token")
            first.errors = [refused.message]
            return _team_page(registration, token, 422, **{name: form})
        flash(refused.message, "error")
        return redirect(url_for("hackathons.my_team", token=token), 303)
    db.session.commit()
    flash(
        {
            "create": _("Your team has been created. Give its code to your team mates."),
            "join": _("You have joined the team."),
            "leave": _("You have left the team."),
            "seek": _("Teams of this hackathon can now see that you are looking for a team."),
        }[action],
        "ok",
    )
    return redirect(url_for("hackathons.my_team", token=token), 303)


@bp.route("/manage/<token>/team/invite/<int:registration_id>", methods=["POST"])
@signup_limit
def invite(token: str, registration_id: int):
    registration = _hackathon_registration(token)
    team = hackathons.team_of(registration) or abort(404)
    seeker = db.session.get(TeamSeeker, registration_id)
    if seeker is None or seeker.registration.event_id != registration.event_id:
        abort(404)
    try:
        hackathons.invite(team, seeker)
    except hackathons.TeamError as refused:
        flash(refused.message, "error")
        return redirect(url_for("hackathons.my_team", token=token), 303)
    db.session.commit()
    flash(_("The invitation with your team's code has been sent."), "ok")
    return redirect(url_for("hackathons.my_team", token=token), 303)


# --- organiser --------------------------------------------------------------------------


def _hackathon_to_manage(event_id: int) -> Event:
    event = access.event_to_manage(current_user, event_id)
    if event.kind != EventKind.HACKATHON:
        abort(404)
    return event


def _linkable(event: Event) -> list[Event]:
    """Events of the same project that can be linked: not the hackathon, not linked yet."""
    stmt = select(Event).where(
        access.manageable_events_filter(current_user),
        Event.id != event.id,
        Event.parent_event_id.is_(None),
        Event.kind != EventKind.HACKATHON,
    )
    if event.project_id is not None:
        stmt = stmt.where(Event.project_id == event.project_id)
    return list(db.session.scalars(stmt.order_by(Event.starts_at).limit(300)))


def _organiser_page(event: Event, status: int = 200, **forms):
    team_list = hackathons.teams(event.id)
    link_form = forms.get("link_form") or LinkEventForm()
    link_form.event.choices = select_choices(
        [("", _("Choose…"))]
        + [(str(e.id), f"{e.local_start:%Y-%m-%d} {e.title}") for e in _linkable(event)]
    )
    link_form.team.choices = select_choices(
        [("", _("No team"))] + [(str(t.id), t.name) for t in team_list]
    )
    initiative_forms = {
        t.initiative.id: InitiativeForm(
            data={
                "title": t.initiative.title,
                "description": t.initiative.description,
                "status": t.initiative.status.value,
                "continues_from": str(t.initiative.continues_from_id or ""),
            }
        )
        for t in team_list
        if t.initiative is not None
    }
    if "initiative_form" in forms:
        initiative_forms[forms["initiative_id"]] = forms["initiative_form"]
    earlier = _earlier_choices(event)
    for form in initiative_forms.values():
        form.continues_from.choices = earlier
    team_form = forms.get("team_form") or OrganiserTeamForm()
    team_form.challenge.choices = _challenge_choices(event)
    return render_template(
        "hackathons/organiser.html",
        event=event,
        challenges=db.session.scalars(
            select(Challenge)
            .where(Challenge.event_id == event.id)
            .order_by(Challenge.position, Challenge.id)
        ).all(),
        teams=team_list,
        members={t.id: hackathons.active_members(t) for t in team_list},
        seekers=hackathons.seekers(event.id),
        related=hackathons.related_events(event),
        figures=hackathons.hackathon_indicators(event.id),
        challenge_form=forms.get("challenge_form") or ChallengeForm(),
        initiative_forms=initiative_forms,
        link_form=link_form,
        team_form=team_form,
        member_forms={
            t.id: forms.get(f"member_form_{t.id}") or MemberForm(prefix=f"m{t.id}")
            for t in team_list
        },
    ), status


def _earlier_choices(event: Event):
    """Initiatives at the organiser's earlier events, for "continues from"."""
    rows = db.session.execute(
        select(Initiative.id, Initiative.title, Event.title, Event.starts_at, Event.timezone)
        .join(Team, Team.id == Initiative.team_id)
        .join(Event, Event.id == Team.event_id)
        .where(access.manageable_events_filter(current_user), Event.starts_at < event.starts_at)
        .order_by(Event.starts_at.desc(), Initiative.title)
        .limit(500)
    ).all()
    return select_choices(
        [("", _("Nothing earlier"))]
        + [
            (str(i), f"{title} ({at.astimezone(ZoneInfo(tz)):%Y-%m-%d} {event_title})")
            for i, title, event_title, at, tz in rows
        ]
    )


def _challenge_choices(event: Event):
    return select_choices(
        [("", _("No challenge"))]
        + [
            (str(c.id), c.title)
            for c in db.session.scalars(
                select(Challenge).where(Challenge.event_id == event.id).order_by(Challenge.position)
            )
        ]
    )


@bp.route("/organiser/<int:event_id>")
@manager_required
def organiser(event_id: int):
    return _organiser_page(_hackathon_to_manage(event_id))


@bp.route("/organiser/<int:event_id>/challenges", methods=["POST"])
@manager_required
def add_challenge(event_id: int):
    event = _hackathon_to_manage(event_id)
    form = ChallengeForm()
    if not form.validate_on_submit():
        return _organiser_page(event, 422, challenge_form=form)
    hackathons.add_challenge(
        current_user, event, form.title.data.strip(), (form.description.data or "").strip(),
        published=form.published.data,
    )  # fmt: skip
    db.session.commit()
    flash(_("The challenge has been added."), "ok")
    return redirect(url_for("hackathons.organiser", event_id=event.id), 303)


@bp.route("/organiser/challenges/<int:challenge_id>/publish", methods=["POST"])
@manager_required
def publish_challenge(challenge_id: int):
    challenge = db.session.get(Challenge, challenge_id) or abort(404)
    event = _hackathon_to_manage(challenge.event_id)
    publish = request.form.get("published", "1") == "1"
    hackathons.publish_challenge(current_user, challenge, publish)
    db.session.commit()
    flash(_("The challenge is public.") if publish else _("The challenge is hidden."), "ok")
    return redirect(url_for("hackathons.organiser", event_id=event.id), 303)


@bp.route("/organiser/initiatives/<int:initiative_id>", methods=["POST"])
@manager_required
def update_initiative(initiative_id: int):
    found = db.session.get(Initiative, initiative_id) or abort(404)
    event = _hackathon_to_manage(found.team.event_id)
    form = InitiativeForm()
    form.continues_from.choices = _earlier_choices(event)
    if not form.validate_on_submit():
        return _organiser_page(event, 422, initiative_form=form, initiative_id=found.id)
    hackathons.update_initiative(
        current_user,
        found,
        status=InitiativeStatus(form.status.data),
        title=form.title.data,
        description=form.description.data or "",
    )
    earlier = db.session.get(Initiative, int(form.continues_from.data or 0))
    hackathons.set_continues_from(current_user, found, earlier)
    db.session.commit()
    flash(_("The initiative “%(title)s” has been saved.", title=found.title), "ok")
    return redirect(url_for("hackathons.organiser", event_id=event.id), 303)


@bp.route("/organiser/<int:event_id>/teams", methods=["POST"])
@manager_required
def add_team(event_id: int):
    event = _hackathon_to_manage(event_id)
    form = OrganiserTeamForm()
    form.challenge.choices = _challenge_choices(event)
    if not form.validate_on_submit():
        return _organiser_page(event, 422, team_form=form)
    try:
        team = hackathons.add_team_by_organiser(
            current_user,
            event,
            form.name.data,
            challenge_id=int(form.challenge.data) if form.challenge.data else None,
            initiative_title=form.initiative.data or "",
            status=InitiativeStatus(form.status.data),
        )
    except hackathons.TeamError as refused:
        db.session.rollback()
        form.name.errors.append(refused.message)
        return _organiser_page(event, 409, team_form=form)
    db.session.commit()
    flash(_("The team “%(name)s” has been added.", name=team.name), "ok")
    return redirect(url_for("hackathons.organiser", event_id=event.id), 303)


@bp.route("/organiser/teams/<int:team_id>/members", methods=["POST"])
@manager_required
def add_member(team_id: int):
    team = db.session.get(Team, team_id) or abort(404)
    event = _hackathon_to_manage(team.event_id)
    form = MemberForm(prefix=f"m{team.id}")
    if not form.validate_on_submit():
        return _organiser_page(event, 422, **{f"member_form_{team.id}": form})
    try:
        hackathons.add_member_by_organiser(current_user, team, form.name.data, form.email.data)
    except hackathons.TeamError as refused:
        db.session.rollback()
        form.name.errors.append(refused.message)
        return _organiser_page(event, 409, **{f"member_form_{team.id}": form})
    db.session.commit()
    flash(_("%(name)s has been added to the team.", name=form.name.data.strip()), "ok")
    return redirect(url_for("hackathons.organiser", event_id=event.id), 303)


@bp.route("/organiser/<int:event_id>/links", methods=["POST"])
@manager_required
def link_event(event_id: int):
    event = _hackathon_to_manage(event_id)
    form = LinkEventForm()
    team_list = hackathons.teams(event.id)
    form.event.choices = select_choices((str(e.id), e.title) for e in _linkable(event))
    form.team.choices = select_choices([("", "")] + [(str(t.id), t.name) for t in team_list])
    if not form.validate_on_submit():
        return _organiser_page(event, 422, link_form=form)
    linked = access.event_to_manage(current_user, int(form.event.data))
    try:
        if form.team.data:
            team = db.session.get(Team, int(form.team.data))
            hackathons.add_mentoring_session(current_user, team, linked)
        else:
            hackathons.link_event(current_user, event, linked)
    except hackathons.TeamError as refused:
        db.session.rollback()
        form.team.errors = [refused.message]
        return _organiser_page(event, 422, link_form=form)
    db.session.commit()
    flash(_("The event has been linked to the hackathon."), "ok")
    return redirect(url_for("hackathons.organiser", event_id=event.id), 303)
