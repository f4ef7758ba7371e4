"""Demo data for the event formats, on top of the projects eventhub.demo creates: the 14
neighbourhood workshops of Gulbene as a series, the Vunki mano! hackathons with challenges,
teams, initiatives and mentoring, and the Gulbene residents' forum with its programme and
parallel discussion groups (see shared/seeds 003 and 004).

Each part is added only when missing, so loading the demo again changes nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    Challenge,
    DiscussionGroup,
    Event,
    EventKind,
    EventStatus,
    GroupChoice,
    Initiative,
    InitiativeStatus,
    MentoringSession,
    ProgrammeItem,
    Project,
    Registration,
    RegistrationStatus,
    SessionHeadcount,
    Team,
    TeamMember,
    TeamSeeker,
    WorkshopSeries,
)
from eventhub.core.services.hackathons import new_join_code
from eventhub.core.services.tokens import new_token
from eventhub.extensions import db

GULBENE = "2024.LV/NVOF/MAC/003"
VUNKI = "VUNKI-MANO"

CHALLENGES = [
    ("Noored ja kogukond", "Kuidas hoida noori maakonnas ja kaasata nad kogukonna ellu?"),
    ("Teenused külas", "Kuidas tuua avalikud teenused inimestele lähemale koosloome abil?"),
    ("Külade koostöö", "Kuidas külaseltsid saaksid rohkem koos teha ja ressursse jagada?"),
]
# (team, challenge index, initiative, status) – modelled on "about 20 initiatives launched
# and mentored": most launched or continued, some ended, some still ideas.
TEAMS = [
    ("Rõuge Noorte Kohvik", 0, "Noorte suvekohvik Rõuge rahvamajas", InitiativeStatus.CONTINUED),
    ("Külabuss", 1, "Tellitav külabuss Võru valla küladele", InitiativeStatus.LAUNCHED),
    ("Antsla Töötuba", 2, "Jagatud töökoda ja tööriistalaenutus", InitiativeStatus.LAUNCHED),
    ("Vana Kool", 2, "Vana koolimaja kogukonnakeskuseks", InitiativeStatus.IDEA),
    ("Seenelised", 0, "Noorte loodusretked ja seenekool", InitiativeStatus.ENDED),
    ("Kogukonnaaed", 1, "Kooliaed ja toidujagamine", InitiativeStatus.LAUNCHED),
]
FORUM_PROGRAMME = [
    # minutes from the start, length, title, speakers, room, groups (name, capacity, room)
    (0, 30, "Foruma atklāšana", "Gulbenes novada domes priekšsēdētājs", "Lielā zāle", []),
    (30, 60, "Novada aktualitātes iedzīvotājiem", "Pašvaldības speciālisti", "Lielā zāle", []),
    (105, 75, "Diskusiju grupas I", "", "", [
        ("Kopienu centri un telpas", 40, "1. telpa"),
        ("Jaunieši novadā", 30, "2. telpa"),
        ("Iedzīvotāju padomes", 12, "3. telpa"),
    ]),
    (180, 45, "Pusdienas", "", "Foajē", []),
    (225, 75, "Diskusiju grupas II", "", "", [
        ("Vietējās iniciatīvas un finansējums", 40, "1. telpa"),
        ("Sadarbība ar pašvaldību", 40, "2. telpa"),
    ]),
    (300, 60, "Grupu secinājumi un noslēgums", "Grupu vadītāji", "Lielā zāle", []),
]  # fmt: skip


def add_formats(seed: int = 2026) -> None:
    """Add what is missing of the formats' demo data. The caller commits."""
    rng = random.Random(seed + 8)  # noqa: S311 - demo data, not security
    db.session.flush()
    _gulbene_series()
    _vunki(rng)
    _gulbene_forum(rng)
    db.session.flush()


def _project_events(code: str, kind: EventKind) -> list[Event]:
    return list(
        db.session.scalars(
            select(Event)
            .join(Project, Project.id == Event.project_id)
            .where(Project.code == code, Event.kind == kind)
            .order_by(Event.starts_at, Event.id)
        )
    )


def _gulbene_series() -> None:
    project = db.session.scalar(select(Project).where(Project.code == GULBENE))
    if project is None or db.session.scalar(
        select(WorkshopSeries.id).where(WorkshopSeries.project_id == project.id)
    ):
        return
    series = WorkshopSeries(
        name="Apkaimju darbnīcas – 14 pagasti",
        project=project,
        description=(
            "14 apkaimju darbnīcas, katra kopā ar pagasta kopienu: kopienas aktivizēšana, "
            "vajadzību apzināšana un risinājumu meklēšana. Apliecību saņem, kas piedalījies "
            "vismaz trīs darbnīcās."
        ),
        certificate_threshold=3,
    )
    db.session.add(series)
    db.session.flush()
    for event in _project_events(GULBENE, EventKind.WORKSHOP):
        event.series_id = series.id


def _registrations(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .order_by(Registration.id)
        )
    )


def _vunki(rng: random.Random) -> None:
    hackathons = _project_events(VUNKI, EventKind.HACKATHON)
    if not hackathons or db.session.scalar(
        select(Challenge.id).where(Challenge.event_id == hackathons[0].id)
    ):
        return
    spring, *later = hackathons
    for hackathon in hackathons:
        for i, (title, description) in enumerate(CHALLENGES):
            db.session.add(
                Challenge(
                    event_id=hackathon.id,
                    title=title,
                    description=description,
                    position=i + 1,
                    published=hackathon is spring or i < 2,
                )
            )
    db.session.flush()
    challenges = {
        c.position - 1: c
        for c in db.session.scalars(select(Challenge).where(Challenge.event_id == spring.id))
    }
    people = _registrations(spring)
    teams = []
    for n, (name, challenge, idea, status) in enumerate(TEAMS):
        team = Team(
            event_id=spring.id,
            name=name,
            join_code=new_join_code(),
            challenge=challenges[challenge],
            looking_for_members=False,
        )
        team.initiative = Initiative(
            title=idea,
            description=f"{idea}. Meeskond {name} töötas idee välja Vunki mano! loometalgutel.",
            status=status,
            status_changed_at=spring.ends_at + timedelta(days=20) if n % 6 != 3 else None,
        )
        team.members = [
            TeamMember(registration=r) for r in people[n * 4 : n * 4 + rng.randint(3, 4)]
        ]
        db.session.add(team)
        teams.append(team)
    for registration in people[len(TEAMS) * 4 : len(TEAMS) * 4 + 2]:
        db.session.add(
            TeamSeeker(registration_id=registration.id, note="Oskan kujundada ja pildistada")
        )
    for event in _project_events(VUNKI, EventKind.INFO_SESSION):
        if event.starts_at < spring.starts_at:
            event.parent_event_id = spring.id  # the preparatory meeting on the challenges
    mentoring = _project_events(VUNKI, EventKind.MENTORING)
    for extra in range(4):
        template = mentoring[0]
        moved = timedelta(days=7 * (extra + 1))
        mentoring.append(
            Event(
                kind=EventKind.MENTORING,
                title=f"Mentorkohtumine: {TEAMS[extra + 1][0]}",
                description="Meeskonna mentorkohtumine algatuse käivitamiseks.",
                starts_at=template.starts_at + moved,
                ends_at=template.ends_at + moved,
                timezone=template.timezone,
                venue=template.venue,
                municipality=template.municipality,
                language=template.language,
                capacity=8,
                status=EventStatus.PUBLISHED,
                project=template.project,
            )
        )
    for event, team in zip(mentoring, teams, strict=False):
        event.parent_event_id = spring.id
        db.session.add(event)
        db.session.flush()
        db.session.add(MentoringSession(event_id=event.id, team_id=team.id))
        _mentoring_attendance(event, team)
    for hackathon in later:
        coming = _registrations(hackathon)
        for n, name in enumerate(("Võru Noored", "Tuleviku Küla")):
            team = Team(
                event_id=hackathon.id,
                name=name,
                join_code=new_join_code(),
                looking_for_members=True,
            )
            team.initiative = Initiative(title=name)
            team.members = [TeamMember(registration=r) for r in coming[n * 2 : n * 2 + 2]]
            db.session.add(team)


def _mentoring_attendance(event: Event, team: Team) -> None:
    """Team members register for their mentoring session and are marked present; the
    session is closed, so it counts as held."""
    if event.ends_at > utcnow():
        return
    for member in team.members:
        person = member.registration.person
        existing = db.session.scalar(
            select(Registration).where(
                Registration.event_id == event.id, Registration.person_id == person.id
            )
        )
        registration = existing or Registration(
            event=event,
            person=person,
            status=RegistrationStatus.CONFIRMED,
            locale=person.locale,
            manage_token_hash=new_token()[1],
            confirmed_at=event.starts_at - timedelta(days=3),
        )
        db.session.add(registration)
        if existing is None:
            db.session.add(
                Attendance(
                    event=event,
                    registration=registration,
                    person=person,
                    organisation=member.registration.organisation,
                    municipality=person.municipality,
                )
            )
    event.status = EventStatus.HELD
    event.closed_at = event.closed_at or event.ends_at + timedelta(hours=1)


def _gulbene_forum(rng: random.Random) -> None:
    forums = _project_events(GULBENE, EventKind.FORUM)
    if not forums or db.session.scalar(
        select(ProgrammeItem.id).where(ProgrammeItem.event_id == forums[0].id)
    ):
        return
    forum = forums[0]
    forum.registration_optional = True
    items = []
    for start, minutes, title, speakers, room, groups in FORUM_PROGRAMME:
        item = ProgrammeItem(
            event_id=forum.id,
            starts_at=forum.starts_at + timedelta(minutes=start),
            ends_at=forum.starts_at + timedelta(minutes=start + minutes),
            title=title,
            speakers=speakers,
            room=room,
            parallel=bool(groups),
            groups=[DiscussionGroup(name=n, capacity=c, room=r) for n, c, r in groups],
        )
        db.session.add(item)
        items.append(item)
    db.session.flush()
    for registration in _registrations(forum):
        for item in items:
            if item.groups and rng.random() < 0.8:
                group = rng.choice(item.groups)
                taken = db.session.scalar(
                    select(db.func.count()).where(GroupChoice.group_id == group.id)
                )
                if group.capacity is None or taken < group.capacity:
                    db.session.add(
                        GroupChoice(
                            registration_id=registration.id,
                            programme_item_id=item.id,
                            group_id=group.id,
                        )
                    )
                    db.session.flush()
    if forum.closed_at is not None:  # a past forum: counted at the door too
        for item in items:
            db.session.add(SessionHeadcount(programme_item_id=item.id, count=rng.randint(60, 140)))
