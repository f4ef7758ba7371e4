"""Setting up eventhub through its pages, as a new project's team would: reusable steps for
tests that start from an empty database (the first admin comes from the CLI).

Every step posts the real form with its CSRF token and returns what it created (an id read
from where the page redirected to, or the mail that arrived).
"""

from __future__ import annotations

import re
from datetime import timedelta

from eventhub.core.db import utcnow
from tests.conftest import csrf_token
from tests.helpers import post_form

INVITATION_LINK = re.compile(r"https?://[^\s\"<>]+/invitation/[A-Za-z0-9_.-]+")


def create_admin(runner, email: str = "admin@hanke.fi", password: str = "first admin password"):
    """The one account made from the shell, as the README says."""
    result = runner.invoke(
        args=["eventhub", "create-user", "--email", email, "--name", "First Admin",
              "--role", "admin"],
        input=f"{password}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return email, password


def _id_from(response, pattern: str) -> int:
    assert response.status_code == 303, (response.status_code, response.get_data(as_text=True))
    match = re.search(pattern, response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


PROJECT = {
    "code": "2024.LV/NVOF/MAC/003",
    "name": "Gulbenes kopienu darbnīcas",
    "organiser": "Gulbenes novada biedrība",
    "funder": "Sabiedrības integrācijas fonds",
    "programme": "NVO fonds",
    "description": "",
    "starts_on": None,  # filled in relative to today
    "ends_on": None,
    "region": "Vidzeme",
    "country": "LV",
    "timezone": "Europe/Riga",
    "language": "lv",
    "contact_email": "projekts@gulbene.example",
    "planned_participants": "200",
    "planned_organisations": "14",
    "target_workshop": "14",
    "retention_days": "1825",
}


def create_project(client, **fields) -> int:
    today = utcnow().date()
    data = {
        **PROJECT,
        "starts_on": (today - timedelta(days=30)).isoformat(),
        "ends_on": (today + timedelta(days=700)).isoformat(),
        **fields,
    }
    response = post_form(client, "/organiser/projects/new", data)
    return _id_from(response, r"/projects/(\d+)/edit")


def add_municipality(client, name: str, region: str, country: str = "LV") -> None:
    response = post_form(
        client,
        "/organiser/places/municipalities",
        {"country": country, "name": name, "region": region},
        token_from=f"/organiser/places/?country={country}",
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def add_places(client, municipality_id: int, names: list[str], country: str = "LV") -> None:
    response = post_form(
        client,
        f"/organiser/places/{municipality_id}/places",
        {"names": "\n".join(names)},
        token_from=f"/organiser/places/?country={country}",
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def add_organisation(client, name: str, business_id: str = "", municipality_id=None) -> int:
    response = post_form(
        client,
        "/organiser/organisations/new",
        {"name": name, "business_id": business_id, "municipality": municipality_id or ""},
    )
    return _id_from(response, r"/organisations/(\d+)")


def invite(client, email: str, name: str, role: str = "manager", projects=()) -> None:
    response = post_form(
        client,
        "/organiser/users/invite",
        {"email": email, "name": name, "role": role, "projects": [str(p) for p in projects]},
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def invitation_path(message) -> str:
    """The invitation link in a mail's plain-text part, as a path."""
    body = message.get_body(("plain",)).get_content()
    match = INVITATION_LINK.search(body)
    assert match, body
    return "/" + match.group(0).split("/", 3)[3]


def accept_invitation(client, path: str, password: str):
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "password": password, "confirm": password})


def create_event(client, project_id: int, **fields) -> int:
    start = (utcnow() + timedelta(days=14)).replace(hour=9, minute=0, second=0, microsecond=0)
    data = {
        "title": "Lizuma pagasta kopienas darbnīca",
        "kind": "workshop",
        "project": str(project_id),
        "description": "",
        "timezone": "Europe/Riga",
        "starts": start.strftime("%Y-%m-%dT%H:%M"),
        "ends": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "venue": "Lizuma tautas nams",
        "address": "",
        "online_url": "",
        "municipality": "",
        "language": "lv",
        "capacity": "25",
        "waitlist_enabled": "y",
        **fields,
    }
    response = post_form(client, "/organiser/events/new", data)
    return _id_from(response, r"/events/(\d+)")


def publish(client, event_id: int) -> None:
    response = post_form(
        client,
        f"/organiser/events/{event_id}/publish",
        token_from=f"/organiser/events/{event_id}",
    )
    assert response.status_code == 303
