"""Demo data modelled on real projects in Finland, Latvia and Estonia (see shared/seeds).

Dates are placed around today so that the demo always has past events with attendance and
upcoming events to register for. Loading is idempotent: projects, municipalities and people
that exist already are left alone. People and organisations are invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    AgeBand,
    Attendance,
    Country,
    Event,
    EventKind,
    EventQuestion,
    EventStatus,
    Gender,
    GuidanceSession,
    GuidanceTopic,
    Headcount,
    LabourStatus,
    Municipality,
    Organisation,
    Person,
    Project,
    ProjectTarget,
    QuestionType,
    Registration,
    RegistrationStatus,
    SurveyAnswer,
    SurveyInstrument,
    SurveyResponse,
    normalise_email,
)
from eventhub.core.services import organisations
from eventhub.core.services.tokens import new_token
from eventhub.extensions import db

MUNICIPALITIES: dict[Country, dict[str, list[str]]] = {
    Country.FI: {
        "Kainuu": ["Sotkamo", "Kajaani", "Kuhmo"],
        "Pohjois-Savo": ["Kuopio", "Iisalmi", "Siilinjärvi", "Varkaus"],
        "Pohjois-Karjala": [
            "Joensuu", "Rääkkylä", "Outokumpu", "Kontiolahti", "Tohmajärvi", "Liperi",
            "Lieksa", "Nurmes", "Polvijärvi", "Heinävesi", "Juuka", "Kitee", "Ilomantsi",
        ],
    },
    Country.LV: {"Vidzeme": ["Gulbenes novads"]},
    Country.EE: {"Võru maakond": ["Võru linn", "Võru vald", "Rõuge vald", "Antsla vald"]},
}  # fmt: skip

GULBENE_PARISHES = [
    "Beļava", "Daukste", "Druviena", "Galgauska", "Jaungulbene", "Lejasciems", "Litene",
    "Līgo", "Lizums", "Ranka", "Stāmeriena", "Stradi", "Tirza", "Gulbene",
]  # fmt: skip

FIRST = {
    "fi": ["Aino", "Eero", "Helmi", "Juha", "Kaisa", "Lauri", "Maija", "Niko", "Riikka", "Timo"],
    "lv": ["Anna", "Jānis", "Līga", "Mārtiņš", "Ilze", "Andris", "Dace", "Kristaps", "Zane"],
    "et": ["Mari", "Jaan", "Kadri", "Tõnu", "Liis", "Margus", "Kertu", "Priit", "Triin"],
}  # fmt: skip
LAST = {
    "fi": ["Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Heikkinen", "Pyykkönen", "Kettunen"],
    "lv": ["Bērziņš", "Kalniņa", "Ozols", "Liepiņa", "Krūmiņš", "Zariņa", "Vītols"],
    "et": ["Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane"],
}  # fmt: skip


@dataclass(frozen=True)
class DemoEvent:
    kind: EventKind
    title: str
    municipality: str
    venue: str
    day_offset: int  # days from today
    start: time
    hours: float
    capacity: int | None
    description: str = ""
    requires_approval: bool = False


@dataclass(frozen=True)
class DemoProject:
    code: str
    name: str
    organiser: str
    funder: str
    programme: str
    region: str
    country: Country
    timezone: str
    language: str
    budget: str
    planned_participants: int
    collects_background: bool
    municipalities: list[str]
    organisations: list[str]
    targets: dict[EventKind, int]
    events: list[DemoEvent]


def _projects() -> list[DemoProject]:
    gulbene_workshops = [
        DemoEvent(
            EventKind.WORKSHOP,
            f"Apkaimju darbnīca: {parish}",
            "Gulbenes novads",
            f"{parish} tautas nams",
            -150 + i * 14,
            time(17, 30),
            2.5,
            30,
            "Kopienas aktivizēšana, vajadzību apzināšana un risinājumu meklēšana kopā ar "
            "pagasta iedzīvotājiem.",
        )
        for i, parish in enumerate(GULBENE_PARISHES)
    ]
    return [
        DemoProject(
            code="KANTO",
            name="KANTO – Kansalaistoimijalähtöisen kehittämisen koordinaatio- ja viestintähanke",
            organiser="Pohjois-Karjalan Sosiaaliturvayhdistys ry",
            funder="Euroopan sosiaalirahasto (ESR+)",
            programme="ESR+ 4.3 Yhdenvertaiseen osallisuuteen",
            region="Pohjois-Karjala",
            country=Country.FI,
            timezone="Europe/Helsinki",
            language="fi",
            budget="250000.00",
            planned_participants=50,
            collects_background=True,
            municipalities=["Joensuu", "Lieksa", "Nurmes", "Kitee", "Outokumpu", "Liperi"],
            organisations=[
                "Joensuun Kyläyhdistys ry",
                "Lieksan Eläkeläiset ry",
                "Pielisen Karjalan Nuorisoseura ry",
                "Kiteen Kulttuuriyhdistys ry",
                "Outokummun Työttömät ry",
            ],
            targets={EventKind.TRAINING: 12, EventKind.INFO_SESSION: 6, EventKind.GUIDANCE: 40},
            events=[
                DemoEvent(
                    EventKind.TRAINING,
                    "Hankeosaaminen 1: Rahoituskelpoinen hankesuunnitelma",
                    "Joensuu",
                    "Pohjois-Karjalan Sosiaaliturvayhdistys, Rantakatu 23 A",
                    -120,
                    time(9),
                    6,
                    25,
                ),
                DemoEvent(
                    EventKind.TRAINING,
                    "Hankeosaaminen 2: Budjetti ja kustannusmallit",
                    "Joensuu",
                    "Pohjois-Karjalan Sosiaaliturvayhdistys, Rantakatu 23 A",
                    -90,
                    time(9),
                    6,
                    25,
                ),
                DemoEvent(
                    EventKind.TRAINING,
                    "Tuloksellisuusviestintä yhdistyksille",
                    "Lieksa",
                    "Lieksan kaupungintalo",
                    -60,
                    time(12),
                    4,
                    20,
                ),
                DemoEvent(
                    EventKind.INFO_SESSION,
                    "ESR+ 4.3 -rahoitushaku: infotilaisuus",
                    "Joensuu",
                    "Carelicum",
                    -40,
                    time(13),
                    2,
                    None,
                ),
                DemoEvent(
                    EventKind.TRAINING,
                    "Osallisuusindikaattori yhdistyksen arjessa",
                    "Nurmes",
                    "Nurmeksen kirjasto",
                    12,
                    time(10),
                    4,
                    20,
                    "Miten THL:n osallisuusindikaattoria käytetään toimintaan osallistuvien osallisuuden kokemuksen mittaamisessa.",
                ),
                DemoEvent(
                    EventKind.TRAINING,
                    "Vaikuttavuusarviointi pienessä yhdistyksessä",
                    "Kitee",
                    "Kiteen kaupungintalo",
                    33,
                    time(9, 30),
                    5,
                    3,
                    requires_approval=True,
                ),
                DemoEvent(
                    EventKind.INFO_SESSION,
                    "Rahoitushaku auki: kysy ja keskustele",
                    "Joensuu",
                    "Verkossa ja Carelicumissa",
                    47,
                    time(14),
                    1.5,
                    None,
                ),
            ],
        ),
        DemoProject(
            code="KOONTO",
            name="Koonto – Kansalaistoimijalähtöisen kehittämisen koordinaatio- ja viestintähanke",
            organiser="Pohjois-Savon Sosiaaliturvayhdistys ry ja Pohjois-Savon Liikunta ry",
            funder="Euroopan sosiaalirahasto (ESR+)",
            programme="ESR+ kansalaistoimijalähtöinen kehittäminen",
            region="Pohjois-Savo",
            country=Country.FI,
            timezone="Europe/Helsinki",
            language="fi",
            budget="310000.00",
            planned_participants=120,
            collects_background=True,
            municipalities=["Kuopio", "Iisalmi", "Siilinjärvi", "Varkaus"],
            organisations=["Kuopion Latu ry", "Iisalmen Kyläyhdistys ry", "Varkauden Martat ry"],
            targets={EventKind.WORKSHOP: 8, EventKind.NETWORK_MEETING: 4},
            events=[
                DemoEvent(
                    EventKind.WORKSHOP,
                    "Hankeidean työpaja",
                    "Kuopio",
                    "Kuopion kaupungintalo",
                    -30,
                    time(13),
                    3,
                    20,
                ),
                DemoEvent(
                    EventKind.NETWORK_MEETING,
                    "Yhdistysten verkostotapaaminen",
                    "Iisalmi",
                    "Iisalmen kulttuurikeskus",
                    -10,
                    time(17),
                    2,
                    40,
                ),
                DemoEvent(
                    EventKind.WORKSHOP,
                    "Osallisuuspaja: kuinka kutsua mukaan uudet jäsenet",
                    "Varkaus",
                    "Varkauden kirjasto",
                    5,
                    time(17),
                    2.5,
                    15,
                ),
                DemoEvent(
                    EventKind.WORKSHOP,
                    "Hakemuksen viimeistely -paja",
                    "Siilinjärvi",
                    "Siilinjärven kunnantalo",
                    19,
                    time(12),
                    3,
                    12,
                ),
            ],
        ),
        DemoProject(
            code="SOTKAMO-YE",
            name="Yhteistyöllä enemmän",
            organiser="Sotkamon kunta",
            funder="Elävä Kainuu Leader ry",
            programme="LEADER / Maaseudun kehittämisen maatalousrahasto (EAFRD)",
            region="Kainuu",
            country=Country.FI,
            timezone="Europe/Helsinki",
            language="fi",
            budget="48165.00",
            planned_participants=150,
            collects_background=False,
            municipalities=["Sotkamo"],
            organisations=[
                "Sotkamon Vapaaehtoiset ry",
                "Vuokatin Kyläseura ry",
                "Sotkamon Urheilijat ry",
            ],
            targets={EventKind.TRAINING: 6, EventKind.WORKSHOP: 6},
            events=[
                DemoEvent(
                    EventKind.TRAINING,
                    "Järjestötaitojen valmennus: hallitustyö",
                    "Sotkamo",
                    "Sotkamon kunnantalo",
                    -45,
                    time(18),
                    2,
                    30,
                ),
                DemoEvent(
                    EventKind.WORKSHOP,
                    "Osaamis- ja kehittämispaja: vapaaehtoisten rekrytointi",
                    "Sotkamo",
                    "Vuokatin seurantalo",
                    -15,
                    time(18),
                    2.5,
                    25,
                ),
                DemoEvent(
                    EventKind.TRAINING,
                    "Järjestötaitojen valmennus: talous ja avustukset",
                    "Sotkamo",
                    "Sotkamon kunnantalo",
                    8,
                    time(18),
                    2,
                    30,
                ),
                DemoEvent(
                    EventKind.WORKSHOP,
                    "Kehittämispaja: yhteinen tapahtumakalenteri",
                    "Sotkamo",
                    "Sotkamon kirjasto",
                    26,
                    time(17, 30),
                    2.5,
                    25,
                ),
            ],
        ),
        DemoProject(
            code="2024.LV/NVOF/MAC/003",
            name="Mēs darām kopā!",
            organiser="Gulbenes novada pašvaldība",
            funder="Sabiedrības integrācijas fonds",
            programme="NVO fonds",
            region="Vidzeme",
            country=Country.LV,
            timezone="Europe/Riga",
            language="lv",
            budget="29020.00",
            planned_participants=300,
            collects_background=False,
            municipalities=["Gulbenes novads"],
            organisations=[
                "Biedrība “Stāmerienas kopiena”",
                "Biedrība “Lizuma attīstībai”",
                "Tirzas jaunieši",
            ],
            targets={
                EventKind.WORKSHOP: 14,
                EventKind.STUDY_TRIP: 1,
                EventKind.TRAINING: 4,
                EventKind.FORUM: 1,
            },
            events=[
                *gulbene_workshops,
                DemoEvent(
                    EventKind.STUDY_TRIP,
                    "Pieredzes brauciens: Vidzemes kopienas",
                    "Gulbenes novads",
                    "Izbraukšana no Gulbenes autoostas",
                    -20,
                    time(8),
                    10,
                    40,
                ),
                DemoEvent(
                    EventKind.TRAINING,
                    "Kopienu līdzdalība teritoriju attīstībā: iedzīvotāju padomes",
                    "Gulbenes novads",
                    "Gulbenes novada centrālā bibliotēka",
                    15,
                    time(16),
                    3,
                    35,
                ),
                DemoEvent(
                    EventKind.FORUM,
                    "Gulbenes novada 2. iedzīvotāju forums",
                    "Gulbenes novads",
                    "Gulbenes kultūras centrs",
                    40,
                    time(10),
                    6,
                    200,
                    "Diskusijas par kopienām un iedzīvotājiem aktuālām tēmām.",
                ),
            ],
        ),
        DemoProject(
            code="VUNKI-MANO",
            name="Vunki mano! loometalgud",
            organiser="SA Võrumaa Arenduskeskus",
            funder="MTÜ Võrumaa Partnerluskogu",
            programme="LEADER meede 1.2 „Kogukonna arendamine läbi ühiskoostöö“",
            region="Võru maakond",
            country=Country.EE,
            timezone="Europe/Tallinn",
            language="et",
            budget="33002.80",
            planned_participants=200,
            collects_background=False,
            municipalities=["Võru linn", "Võru vald", "Rõuge vald", "Antsla vald"],
            organisations=[
                "MTÜ Võrumaa Omavalitsuste Liit",
                "MTÜ Rõuge Noored",
                "Antsla Kogukonnaselts",
            ],
            targets={EventKind.HACKATHON: 2, EventKind.MENTORING: 20, EventKind.INFO_SESSION: 2},
            events=[
                DemoEvent(
                    EventKind.INFO_SESSION,
                    "Vunki mano! eelkohtumine: väljakutsed",
                    "Võru linn",
                    "Võru Kandle maja",
                    -70,
                    time(17),
                    2,
                    60,
                ),
                DemoEvent(
                    EventKind.HACKATHON,
                    "Vunki mano! loometalgud 2026 kevad",
                    "Võru linn",
                    "Võru Kreutzwaldi kool",
                    -55,
                    time(9),
                    34,
                    120,
                ),
                DemoEvent(
                    EventKind.MENTORING,
                    "Meeskondade mentorkohtumine",
                    "Rõuge vald",
                    "Rõuge rahvamaja",
                    -25,
                    time(16),
                    2,
                    20,
                ),
                DemoEvent(
                    EventKind.HACKATHON,
                    "Vunki mano! loometalgud 2027",
                    "Võru linn",
                    "Võru Kreutzwaldi kool",
                    60,
                    time(9),
                    34,
                    120,
                    "Kahepäevased loometalgud kohaliku elu lahenduste väljatöötamiseks.",
                ),
            ],
        ),
    ]


def load_demo(today: date | None = None, seed: int = 2026) -> int:
    """Create what the demo lacks; returns how many projects were added. The caller commits."""
    today = today or utcnow().date()
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    municipalities = _ensure_municipalities()
    added = 0
    for spec in _projects():
        if db.session.scalar(select(Project.id).where(Project.code == spec.code)):
            continue
        _create_project(spec, municipalities, today, rng)
        added += 1
    from eventhub.demo_formats import add_formats

    add_formats(seed)  # series, hackathon teams, forum programme: each only when missing
    db.session.flush()
    return added


def _ensure_municipalities() -> dict[str, Municipality]:
    existing = {m.name: m for m in db.session.scalars(select(Municipality))}
    for country, regions in MUNICIPALITIES.items():
        for region, names in regions.items():
            for name in names:
                if name not in existing:
                    existing[name] = Municipality(name=name, region=region, country=country)
                    db.session.add(existing[name])
    return existing


def _create_project(
    spec: DemoProject, municipalities: dict[str, Municipality], today: date, rng: random.Random
) -> None:
    project = Project(
        code=spec.code,
        name=spec.name,
        organiser=spec.organiser,
        funder=spec.funder,
        programme=spec.programme,
        region=spec.region,
        starts_on=today - timedelta(days=200),
        ends_on=today + timedelta(days=400),
        budget=Decimal(spec.budget),
        planned_participants=spec.planned_participants,
        collects_background=spec.collects_background,
        municipalities=[municipalities[m] for m in spec.municipalities],
        targets=[ProjectTarget(kind=k, planned_events=n) for k, n in spec.targets.items()],
    )
    db.session.add(project)
    organisations.run_by(project, organisations.names_in(spec.organiser))
    orgs = []
    for name in spec.organisations:
        org = db.session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            org = Organisation(name=name, municipality=municipalities[spec.municipalities[0]])
            db.session.add(org)
        orgs.append(org)
    people = [_person(spec, municipalities, rng, i) for i in range(40)]
    tz = ZoneInfo(spec.timezone)
    events: list[Event] = []
    for item in spec.events:
        start = datetime.combine(today + timedelta(days=item.day_offset), item.start, tz)
        event = Event(
            kind=item.kind,
            title=item.title,
            description=item.description or item.title,
            starts_at=start,
            ends_at=start + timedelta(hours=item.hours),
            timezone=spec.timezone,
            venue=item.venue,
            municipality=municipalities[item.municipality],
            language=spec.language,
            capacity=item.capacity,
            waitlist_enabled=True,
            requires_approval=item.requires_approval,
            status=EventStatus.PUBLISHED,
            project=project,
        )
        if item.day_offset > 0:
            event.registration_closes_at = start - timedelta(hours=2)
        if item.kind == EventKind.WORKSHOP and spec.language == "fi":
            event.questions.append(
                EventQuestion(
                    label="Mitä toivot työpajalta?", type=QuestionType.LONG_TEXT, position=1
                )
            )
        db.session.add(event)
        _fill(event, item, people, orgs, rng, past=item.day_offset < 0)
        events.append(event)
    if spec.code == "KANTO":
        # A generator of its own, so the registrations above stay as they were.
        extra = random.Random(spec.code)  # noqa: S311 - demo data
        _guidance(project, orgs, municipalities, spec, today, extra)
        _surveys(project, [e for e in events if e.closed_at], extra)


def _person(
    spec: DemoProject, municipalities: dict[str, Municipality], rng: random.Random, i: int
) -> Person:
    first, last = rng.choice(FIRST[spec.language]), rng.choice(LAST[spec.language])
    email = f"{spec.code.lower().replace('/', '-').replace('.', '-')}.{i}@example.org"
    person = db.session.scalar(select(Person).where(Person.email_normalised == email))
    if person is None:
        person = Person(
            email=email,
            email_normalised=normalise_email(email),
            name=f"{first} {last}",
            locale=spec.language,
            municipality=municipalities[rng.choice(spec.municipalities)],
        )
        db.session.add(person)
    return person


def _fill(
    event: Event,
    item: DemoEvent,
    people: list[Person],
    orgs: list[Organisation],
    rng: random.Random,
    past: bool,
) -> None:
    """Registrations for every event; attendance, walk-ins and headcounts for past ones."""
    capacity = item.capacity or 60
    wanted = min(len(people), int(capacity * (rng.uniform(0.6, 1.1) if past else 0.5)))
    chosen = rng.sample(people, wanted)
    for n, person in enumerate(chosen):
        status = RegistrationStatus.CONFIRMED if n < capacity else RegistrationStatus.WAITLISTED
        if not past and item.requires_approval:
            status = RegistrationStatus.PENDING
        if rng.random() < 0.05:
            status = RegistrationStatus.CANCELLED
        reg = Registration(
            event=event,
            person=person,
            organisation=rng.choice(orgs) if rng.random() < 0.75 else None,
            municipality=person.municipality,
            status=status,
            queue_no=n + 1,
            locale=person.locale,
            manage_token_hash=new_token()[1],
            confirmed_at=utcnow() if status == RegistrationStatus.CONFIRMED else None,
            gender=rng.choice([*Gender, None]),
            age_band=rng.choice([*AgeBand, None]),
            labour_status=rng.choice([*LabourStatus, None]),
        )
        db.session.add(reg)
        if past and status == RegistrationStatus.CONFIRMED and rng.random() < 0.85:
            db.session.add(
                Attendance(
                    event=event,
                    registration=reg,
                    person=person,
                    organisation=reg.organisation,
                    municipality=person.municipality,
                )
            )
    if past:
        event.status = EventStatus.HELD
        # Closed: the organiser confirmed the attendance, so the event counts as held.
        event.closed_at = event.ends_at + timedelta(hours=1)
        language = event.language if event.language in FIRST else "fi"
        for _ in range(rng.randint(0, 3)):
            name = f"{rng.choice(FIRST[language])} {rng.choice(LAST[language])}"
            db.session.add(Attendance(event=event, walk_in_name=name, organisation=orgs[0]))
        if item.kind in (EventKind.INFO_SESSION, EventKind.FORUM):
            db.session.add(Headcount(event=event, count=rng.randint(10, 40), note="audience"))


# KANTO's closing report: guidance given 768 times to 58 associations, by topic 527 / 10 /
# 23 / 49 / 163. The demo logs a smaller share of it with the same proportions.
GUIDANCE_TOPICS = [
    ("Rahoituskelpoisuus ja hankesuunnitelman sisältö", 527),
    ("Budjetti", 10),
    ("EURA 2021 -järjestelmä", 23),
    ("Muut rahoituskanavat", 49),
    ("Myönteisen hankepäätöksen saaneet hankkeet", 163),
]
GUIDANCE_ORGANISATIONS = [
    "Rääkkylän Kylät ry", "Outokummun Seudun Omaishoitajat ry", "Kontiolahden Kyläyhdistys ry",
    "Tohmajärven Nuorisoseura ry", "Liperin Martat ry", "Nurmeksen Seudun Mielenterveysseura ry",
    "Polvijärven Kotiseutuyhdistys ry", "Heinäveden Kylätalo ry", "Juuan Yrittäjänaiset ry",
    "Ilomantsin Riistanhoitoyhdistys ry", "Pohjois-Karjalan Kylät ry", "Joensuun Seudun Työttömät ry",
    "Kiteen Seudun Vapaaehtoiset ry", "Lieksan Latu ry", "Pielisen Karjalan Kansalaisopistoseura ry",
    "Joensuun Monikulttuuriyhdistys ry", "Karjalan Nuoret Naiset ry", "Outokummun Kaivosseura ry",
    "Enon Kyläyhdistys ry",
]  # fmt: skip


def _guidance(
    project: Project,
    orgs: list[Organisation],
    municipalities: dict[str, Municipality],
    spec: DemoProject,
    today: date,
    rng: random.Random,
) -> None:
    """Guidance sessions to many associations, on the KANTO report's topics."""
    topics = [
        GuidanceTopic(project=project, name=name, position=i)
        for i, (name, _weight) in enumerate(GUIDANCE_TOPICS)
    ]
    db.session.add_all(topics)
    served = list(orgs)
    for name in GUIDANCE_ORGANISATIONS:
        org = db.session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            org = Organisation(
                name=name, municipality=municipalities[rng.choice(spec.municipalities)]
            )
            db.session.add(org)
        served.append(org)
    weights = [w for _name, w in GUIDANCE_TOPICS]
    # Some associations come back again and again (those preparing an application).
    regulars = served[: len(served) // 3]
    for _ in range(150):
        chosen = [rng.choices(topics, weights)[0]]
        if rng.random() < 0.08:
            second = rng.choices(topics, weights)[0]
            if second is not chosen[0]:
                chosen.append(second)
        db.session.add(
            GuidanceSession(
                project=project,
                organisation=rng.choice(regulars if rng.random() < 0.6 else served),
                held_on=today - timedelta(days=rng.randint(1, 190)),
                duration_minutes=rng.choice([None, 30, 45, 60, 90]),
                note="",
                topics=sorted(chosen, key=lambda t: t.position),
            )
        )


def _surveys(project: Project, held: list[Event], rng: random.Random) -> None:
    """The THL participation indicator (with placeholders where the project enters THL's exact
    wording: eventhub ships none of it) and a feedback survey of the project's own, with
    answers after the held events; one event gets too few answers to be shown."""
    thl = SurveyInstrument(
        project=project,
        name="THL:n osallisuusindikaattori",
        is_thl_participation=True,
        statements=[f"Väittämä {n} – kirjoita tähän THL:n sanamuoto" for n in range(1, 11)],
        active=False,
    )
    own = SurveyInstrument(
        project=project,
        name="Koulutuspalaute",
        introduction="Kiitos osallistumisesta! Vastaa muutamaan väittämään nimettömästi.",
        statements=[
            "Koulutus vastasi odotuksiani.",
            "Opin uutta hankkeiden suunnittelusta.",
            "Voin hyödyntää oppimaani yhdistyksessäni.",
        ],
    )
    db.session.add_all([thl, own])
    for n, event in enumerate(held):
        answers = 3 if n == len(held) - 1 else rng.randint(6, 14)
        for instrument in (thl, own):
            for _ in range(answers):
                centre = rng.choice([3, 4, 4, 5])
                db.session.add(
                    SurveyResponse(
                        instrument=instrument,
                        event=event,
                        created_at=event.ends_at + timedelta(days=rng.randint(1, 7)),
                        answers=[
                            SurveyAnswer(
                                statement_no=i,
                                value=max(1, min(5, centre + rng.choice([-1, 0, 0, 1]))),
                            )
                            for i in range(1, len(instrument.statements) + 1)
                        ],
                    )
                )
