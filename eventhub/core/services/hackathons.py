"""Hackathons: challenges, teams and join codes, the initiative each team carries, the
events around a hackathon (preparatory, follow-up, mentoring) and the figures reported.

Teams are formed under the hackathon's event lock, in the signup transaction or from the
manage link, so two people cannot create the same team name at once. A join code is the only
way into a team; it is random, unique and shown to the team's members only.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Challenge,
    Event,
    EventKind,
    Initiative,
    InitiativeStatus,
    MentoringSession,
    Person,
    Registration,
    RegistrationStatus,
    Team,
    TeamMember,
    TeamSeeker,
    User,
    normalise_email,
)
from eventhub.core.services import audit, indicators
from eventhub.core.services.errors import Refused
from eventhub.core.services.signup import ACTIVE, lock_event
from eventhub.core.services.tokens import new_token
from eventhub.extensions import db

# Unambiguous when read aloud or copied from paper: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
TEAM_NAME_MAX = 120


class TeamError(Refused):
    """A team action that cannot be done; ``message`` says why, for the participant."""

    def __init__(self, message: str):
        super().__init__(message)


# --- codes and lookups ------------------------------------------------------------------


def new_join_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(Team.id).where(Team.join_code == code)) is None:
            return code


def normalise_code(code: str | None) -> str:
    """What people type: any case, spaces or dashes in between."""
    return re.sub(r"[\s-]+", "", code or "").upper()


def team_by_code(event_id: int, code: str | None) -> Team | None:
    code = normalise_code(code)
    if not code or len(code) > 16:
        return None
    return db.session.scalar(select(Team).where(Team.event_id == event_id, Team.join_code == code))


def name_taken(event_id: int, name: str) -> bool:
    return (
        db.session.scalar(
            select(Team.id).where(
                Team.event_id == event_id, func.lower(Team.name) == name.strip().lower()
            )
        )
        is not None
    )


def team_of(registration: Registration) -> Team | None:
    return db.session.scalar(
        select(Team).join(TeamMember).where(TeamMember.registration_id == registration.id)
    )


def published_challenges(event_id: int) -> list[Challenge]:
    return list(
        db.session.scalars(
            select(Challenge)
            .where(Challenge.event_id == event_id, Challenge.published.is_(True))
            .order_by(Challenge.position, Challenge.id)
        )
    )


def teams(event_id: int) -> list[Team]:
    return list(
        db.session.scalars(
            select(Team)
            .where(Team.event_id == event_id)
            .options(selectinload(Team.initiative), selectinload(Team.challenge))
            .order_by(func.lower(Team.name))
        )
    )


def member_counts(event_id: int) -> dict[int, int]:
    """Members per team, counting registrations that are still active."""
    rows = db.session.execute(
        select(TeamMember.team_id, func.count())
        .join(Team, Team.id == TeamMember.team_id)
        .join(Registration, Registration.id == TeamMember.registration_id)
        .where(Team.event_id == event_id, Registration.status.in_(ACTIVE))
        .group_by(TeamMember.team_id)
    ).all()
    return dict(rows)


def active_members(team: Team) -> list[Registration]:
    return [m.registration for m in team.members if m.registration.status in ACTIVE]


def seekers(event_id: int) -> list[TeamSeeker]:
    """People without a team who said teams may invite them (and are still without one)."""
    return list(
        db.session.scalars(
            select(TeamSeeker)
            .join(Registration, Registration.id == TeamSeeker.registration_id)
            .outerjoin(TeamMember, TeamMember.registration_id == Registration.id)
            .where(
                Registration.event_id == event_id,
                Registration.status.in_(ACTIVE),
                TeamMember.id.is_(None),
            )
            .order_by(TeamSeeker.created_at)
        )
    )


# --- forming teams ----------------------------------------------------------------------


def create_team(
    registration: Registration,
    name: str,
    *,
    challenge_id: int | None = None,
    idea: str = "",
    looking_for_members: bool = True,
) -> Team:
    """A new team with the registration as its first member, and its initiative (status
    idea). Must run under the hackathon's lock. Raises :class:`TeamError`."""
    name = " ".join(name.split())[:TEAM_NAME_MAX]
    if not name:
        raise TeamError(_("Please give your team a name."))
    if team_of(registration) is not None:
        raise TeamError(_("You are in a team already."))
    if name_taken(registration.event_id, name):
        raise TeamError(_("There is a team called “%(name)s” already.", name=name))
    challenge = None
    if challenge_id is not None:
        challenge = db.session.get(Challenge, challenge_id)
        if challenge is None or challenge.event_id != registration.event_id:
            challenge = None
    team = Team(
        event_id=registration.event_id,
        name=name,
        join_code=new_join_code(),
        challenge=challenge,
        looking_for_members=looking_for_members,
    )
    team.initiative = Initiative(title=idea.strip()[:200] or name)
    team.members.append(TeamMember(registration=registration))
    db.session.add(team)
    _stop_seeking(registration)
    db.session.flush()
    return team


def join_team(registration: Registration, code: str) -> Team:
    """Join the team whose code this is. Must run under the hackathon's lock."""
    team = team_by_code(registration.event_id, code)
    if team is None:
        raise TeamError(
            _("No team of this hackathon has that code. Please check it with your team.")
        )
    current = team_of(registration)
    if current is not None:
        if current.id == team.id:
            return team
        raise TeamError(_("You are in a team already."))
    team.members.append(TeamMember(registration=registration))
    _stop_seeking(registration)
    db.session.flush()
    return team


def leave_team(registration: Registration) -> None:
    membership = db.session.scalar(
        select(TeamMember).where(TeamMember.registration_id == registration.id)
    )
    if membership is not None:
        db.session.delete(membership)
        db.session.flush()


def seek_team(registration: Registration, note: str = "") -> None:
    """Say "I have no team": the hackathon's teams see the first name and the note."""
    seeker = db.session.get(TeamSeeker, registration.id)
    if seeker is None:
        db.session.add(TeamSeeker(registration_id=registration.id, note=note.strip()[:500]))
    else:
        seeker.note = note.strip()[:500]
    db.session.flush()


def _stop_seeking(registration: Registration) -> None:
    seeker = db.session.get(TeamSeeker, registration.id)
    if seeker is not None:
        db.session.delete(seeker)


def after_register(
    registration: Registration, format_data: Mapping[str, object], *, created: bool
) -> list[str]:
    """The signup hook: start or join a team, or say "I have no team". The form has
    checked the name and the code already; if another signup took the name meanwhile the
    registration stands without a team and the participant is told."""
    if not created:
        return []
    mode = format_data.get("team_mode") or "none"
    try:
        if mode == "create":
            challenge = format_data.get("challenge")
            team = create_team(
                registration,
                str(format_data.get("team_name") or ""),
                challenge_id=int(str(challenge)) if challenge else None,
                idea=str(format_data.get("idea") or ""),
            )
            return [
                _(
                    "Your team “%(team)s” has been created. Its code for your team mates is on "
                    "your registration page: follow the link in your email.",
                    team=team.name,
                )
            ]
        elif mode == "join":
            join_team(registration, str(format_data.get("join_code") or ""))
        elif format_data.get("looking"):
            seek_team(registration, str(format_data.get("seeker_note") or ""))
    except TeamError as refused:
        return [
            refused.message
            + " "
            + _("You are registered without a team; the link in your email lets you form one.")
        ]
    return []


def team_action(registration: Registration, action: str, **kw) -> Team | None:
    """A participant's team action from the manage link, under the event's lock.
    ``action`` is create, join, leave or seek. Raises :class:`TeamError`."""
    lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status not in ACTIVE:
        raise TeamError(_("Your registration is not active."))
    if action == "create":
        return create_team(
            registration, kw.get("name", ""), challenge_id=kw.get("challenge_id"),
            idea=kw.get("idea", ""),
        )  # fmt: skip
    if action == "join":
        return join_team(registration, kw.get("code", ""))
    if action == "leave":
        leave_team(registration)
        return None
    if action == "seek":
        seek_team(registration, kw.get("note", ""))
        return None
    raise TeamError(_("Unknown action."))


# --- organiser --------------------------------------------------------------------------


def add_challenge(
    user: User, event: Event, title: str, description: str = "", published: bool = False
) -> Challenge:
    position = db.session.scalar(
        select(func.coalesce(func.max(Challenge.position), 0)).where(Challenge.event_id == event.id)
    )
    challenge = Challenge(
        event_id=event.id,
        title=title,
        description=description,
        published=published,
        position=(position or 0) + 1,
    )
    db.session.add(challenge)
    db.session.flush()
    audit.record("challenge_added", event=event, obj=challenge, user=user)
    return challenge


def publish_challenge(user: User, challenge: Challenge, published: bool = True) -> None:
    challenge.published = published
    audit.record(
        "challenge_published" if published else "challenge_unpublished",
        event=challenge.event, obj=challenge, user=user,
    )  # fmt: skip


def update_initiative(
    user: User,
    initiative: Initiative,
    *,
    status: InitiativeStatus,
    title: str | None = None,
    description: str | None = None,
) -> bool:
    """The organiser records what became of an initiative. Returns whether the status
    changed; every change of status is in the audit log, so its history can be told."""
    if title is not None and title.strip():
        initiative.title = title.strip()[:200]
    if description is not None:
        initiative.description = description.strip()
    changed = initiative.status != status
    if changed:
        audit.record(
            "initiative_status",
            event=initiative.team.event,
            obj=initiative,
            user=user,
            old=initiative.status.value,
            new=status.value,
        )
        initiative.status = status
        initiative.status_changed_at = utcnow()
    db.session.flush()
    return changed


def add_team_by_organiser(
    user: User,
    event: Event,
    name: str,
    *,
    challenge_id: int | None = None,
    initiative_title: str = "",
    status: InitiativeStatus = InitiativeStatus.IDEA,
) -> Team:
    """An organiser records a team (a hackathon's history, or a team formed on paper): no
    members yet, its initiative with the given status. Raises :class:`TeamError`."""
    lock_event(event.id)
    name = " ".join(name.split())[:TEAM_NAME_MAX]
    if not name:
        raise TeamError(_("Please give the team a name."))
    if name_taken(event.id, name):
        raise TeamError(_("There is a team called “%(name)s” already.", name=name))
    challenge = db.session.get(Challenge, challenge_id) if challenge_id else None
    if challenge is not None and challenge.event_id != event.id:
        challenge = None
    team = Team(
        event_id=event.id,
        name=name,
        join_code=new_join_code(),
        challenge=challenge,
        looking_for_members=False,
    )
    team.initiative = Initiative(
        title=initiative_title.strip()[:200] or name,
        status=status,
        status_changed_at=utcnow() if status != InitiativeStatus.IDEA else None,
    )
    db.session.add(team)
    db.session.flush()
    audit.record("team_added", event=event, obj=team, user=user)
    return team


def add_member_by_organiser(
    user: User, team: Team, name: str, email: str | None = None
) -> TeamMember:
    """An organiser puts a person in a team. The person is the one with that email (or a
    new one without); they get a confirmed registration for the hackathon if they had none.
    Nobody is mailed: this records what happened. Raises :class:`TeamError`."""
    event = lock_event(team.event_id)
    if event is None:
        raise LookupError(team.event_id)
    name = " ".join(name.split())[:200]
    if not name:
        raise TeamError(_("Please write the person's name."))
    email = (email or "").strip() or None
    person = None
    if email is not None:
        person = db.session.scalar(
            select(Person).where(Person.email_normalised == normalise_email(email))
        )
    if person is None:
        person = Person(
            name=name,
            email=email,
            email_normalised=normalise_email(email) if email else None,
            locale=event.language,
        )
        db.session.add(person)
        db.session.flush()
    registration = db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.person_id == person.id
        )
    )
    if registration is None:
        registration = Registration(
            event_id=event.id,
            person_id=person.id,
            status=RegistrationStatus.CONFIRMED,
            manage_token_hash=new_token()[1],
            locale=event.language,
            confirmed_at=utcnow(),
        )
        db.session.add(registration)
        db.session.flush()
    current = team_of(registration)
    if current is not None:
        raise TeamError(
            _("%(name)s is in the team “%(team)s” already.", name=name, team=current.name)
        )
    member = TeamMember(team_id=team.id, registration_id=registration.id)
    db.session.add(member)
    _stop_seeking(registration)
    db.session.flush()
    audit.record(
        "team_member_added", event=event, obj=team, user=user, registration_id=registration.id
    )
    return member


def earlier_initiatives(events_filter, initiative: Initiative) -> list[Initiative]:
    """Initiatives at events that started before this one's, among the events
    ``events_filter`` allows (the organiser's): what this one can continue from."""
    event = initiative.team.event
    return list(
        db.session.scalars(
            select(Initiative)
            .join(Team, Team.id == Initiative.team_id)
            .join(Event, Event.id == Team.event_id)
            .where(events_filter, Event.starts_at < event.starts_at)
            .order_by(Event.starts_at.desc(), Initiative.title)
            .limit(500)
        )
    )


def set_continues_from(user: User, initiative: Initiative, earlier: Initiative | None) -> None:
    """Link an initiative to the same initiative at an earlier event (or unlink it).
    Only an earlier event's initiative: so the links never go round in a circle."""
    if earlier is not None and earlier.team.event.starts_at >= initiative.team.event.starts_at:
        raise TeamError(_("An initiative can only continue one from an earlier event."))
    new_id = earlier.id if earlier is not None else None
    if initiative.continues_from_id == new_id:
        return
    initiative.continues_from_id = new_id
    audit.record(
        "initiative_continues",
        event=initiative.team.event,
        obj=initiative,
        user=user,
        continues_from=new_id,
    )
    db.session.flush()


def link_event(user: User, hackathon: Event, event: Event) -> None:
    """Make ``event`` a preparatory or follow-up event of the hackathon (which one is read
    from the dates)."""
    if event.id == hackathon.id:
        raise TeamError(_("An event cannot be linked to itself."))
    event.parent_event_id = hackathon.id
    audit.record("event_linked", event=hackathon, obj=event, user=user)


def add_mentoring_session(user: User, team: Team, event: Event) -> MentoringSession:
    """Record that ``event`` (kind mentoring) is a mentoring session with ``team``; its
    attendance is taken like any event's."""
    if event.kind != EventKind.MENTORING:
        raise TeamError(_("A mentoring session must be an event of the kind Mentoring."))
    event.parent_event_id = team.event_id
    session = db.session.get(MentoringSession, event.id)
    if session is None:
        session = MentoringSession(event_id=event.id, team_id=team.id)
        db.session.add(session)
    else:
        session.team_id = team.id
    db.session.flush()
    audit.record("mentoring_session", event=event, obj=team, user=user)
    return session


@dataclass(frozen=True)
class Related:
    preparatory: list[Event]
    follow_up: list[Event]
    mentoring: list[tuple[Event, Team | None]]


def related_events(hackathon: Event) -> Related:
    events = db.session.scalars(
        select(Event)
        .where(Event.parent_event_id == hackathon.id)
        .order_by(Event.starts_at, Event.id)
    ).all()
    sessions = {
        s.event_id: s.team
        for s in db.session.scalars(
            select(MentoringSession).where(MentoringSession.event_id.in_([e.id for e in events]))
        )
    }
    mentoring = [(e, sessions.get(e.id)) for e in events if e.kind == EventKind.MENTORING]
    others = [e for e in events if e.kind != EventKind.MENTORING]
    return Related(
        preparatory=[e for e in others if e.starts_at < hackathon.starts_at],
        follow_up=[e for e in others if e.starts_at >= hackathon.starts_at],
        mentoring=mentoring,
    )


# --- figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HackathonFigures:
    """A hackathon's figures. ``members_per_team`` counts active registrations in each team;
    ``mentoring_sessions_held`` are mentoring events with a team that an organiser closed;
    ``teams_mentored`` the teams that had at least one."""

    teams: int
    participants: int  # registrations holding a place or waiting, in a team or not
    in_teams: int
    without_team: int
    members_per_team: dict[str, int]
    average_team_size: float | None
    initiatives_by_status: dict[str, int] = field(default_factory=dict)
    mentoring_sessions_held: int = 0
    mentoring_participations: int = 0
    teams_mentored: int = 0


def hackathon_indicators(event_id: int) -> HackathonFigures:
    team_list = teams(event_id)
    counts = member_counts(event_id)
    participants = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == event_id, Registration.status.in_(ACTIVE)
        )
    )
    in_teams = sum(counts.values())
    by_status = dict.fromkeys((s.value for s in InitiativeStatus), 0)
    for status, n in db.session.execute(
        select(Initiative.status, func.count())
        .join(Team, Team.id == Initiative.team_id)
        .where(Team.event_id == event_id)
        .group_by(Initiative.status)
    ):
        by_status[InitiativeStatus(status).value] = n
    sessions = select(MentoringSession.event_id).join(Team).where(Team.event_id == event_id)
    # Held and participations by the indicators' rules.
    mentoring = indicators.participation_at(sessions)
    held = indicators.held_ids(sessions)
    teams_mentored = db.session.scalar(
        select(func.count(func.distinct(MentoringSession.team_id))).where(
            MentoringSession.event_id.in_(held)
        )
    )
    sizes = [counts.get(t.id, 0) for t in team_list]
    return HackathonFigures(
        teams=len(team_list),
        participants=participants or 0,
        in_teams=in_teams,
        without_team=(participants or 0) - in_teams,
        members_per_team={t.name: counts.get(t.id, 0) for t in team_list},
        average_team_size=round(sum(sizes) / len(sizes), 1) if sizes else None,
        initiatives_by_status=by_status,
        mentoring_sessions_held=mentoring.held,
        mentoring_participations=mentoring.participations,
        teams_mentored=teams_mentored or 0,
    )


def invite(team: Team, seeker: TeamSeeker) -> None:
    """Mail a person looking for a team the team's invitation and code (outbox)."""
    from flask import render_template
    from flask_babel import force_locale

    from eventhub.core.services.outbox import enqueue
    from eventhub.urls import external_url

    registration = seeker.registration
    if registration.event_id != team.event_id or registration.status not in ACTIVE:
        raise TeamError(_("This person is no longer looking for a team."))
    event = team.event
    with force_locale(registration.locale):
        context = {
            "team": team,
            "event": event,
            "person": registration.person,
            "registration": registration,
            "event_url": external_url("hackathons.hackathon", event_id=event.id),
            "manage_url": None,
        }
        subject = _("An invitation to join the team %(team)s", team=team.name)
        text = render_template("hackathons/mail_invitation.txt", subject=subject, **context)
        html = render_template("hackathons/mail_invitation.html", subject=subject, **context)
    # A registered person always has an address (walk-ins are not registrations).
    assert registration.person.email is not None
    enqueue(
        kind="team_invitation",
        recipient=registration.person.email,
        subject=subject,
        body_text=text,
        body_html=html,
    )
