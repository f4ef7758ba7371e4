"""The write API as another system calls it: tokens made on the project's integrations page,
scopes, revocation, idempotency keys, the organiser pages' rules, and every documented
answer checked against the OpenAPI document."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from eventhub.core.db import utcnow
from eventhub.core.models import (
    ApiToken,
    AuditEntry,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from eventhub.extensions import db
from tests import factories
from tests.helpers import post_form, sign_in
from tests.test_api import schema_validator

ALL_SCOPES = [
    "registrations:read",
    "events:write",
    "registrations:write",
    "attendance:write",
]
NEW_TOKEN = re.compile(r"<code data-new-token>([^<]+)</code>")


@pytest.fixture
def world(app, client):
    """Two projects, each with a manager and an event; the client is signed in as the first."""
    kanto = factories.project(code="KANTO", name="Kanto")
    other = factories.project(code="OTHER", name="Other")
    factories.user("anne@example.fi", projects=[kanto])
    factories.user("otto@example.fi", projects=[other])
    mine = factories.event(title="Mine", project=kanto, capacity=1)
    theirs = factories.event(title="Theirs", project=other, capacity=5)
    db.session.commit()
    sign_in(client, "anne@example.fi")
    return {"kanto": kanto, "other": other, "mine": mine, "theirs": theirs}


def make_token(client, project, scopes=ALL_SCOPES, label="Member register") -> str:
    """Make a token on the integrations page, as a manager does; the page shows it once."""
    page = f"/organiser/projects/{project.id}/integrations"
    response = post_form(
        client,
        f"{page}/tokens",
        {"label": label, "scopes": list(scopes)},
        token_from=page,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    match = NEW_TOKEN.search(response.get_data(as_text=True))
    assert match, "the new token is shown"
    return match.group(1)


def auth(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


def add(client, token, event_id, key=None, **body):
    body = {"name": "Aino Korhonen", "email": "aino@example.fi", **body}
    headers = auth(token, **({"Idempotency-Key": key} if key else {}))
    return client.post(
        f"/api/v1/manage/events/{event_id}/registrations", json=body, headers=headers
    )


# --- tokens --------------------------------------------------------------------------------


def test_a_token_is_shown_once_stored_hashed_and_audited(client, world):
    token = make_token(client, world["kanto"])
    assert token.startswith("eh_") and len(token) > 40
    stored = db.session.scalars(db.select(ApiToken)).one()
    assert stored.token_hash != token and token not in stored.token_hash
    page = client.get(f"/organiser/projects/{world['kanto'].id}/integrations")
    assert token not in page.get_data(as_text=True)
    assert stored.prefix in page.get_data(as_text=True)
    actions = db.session.scalars(db.select(AuditEntry.action)).all()
    assert "api_token_created" in actions
    assert stored.last_used_at is None
    assert (
        client.get(f"/api/v1/manage/events/{world['mine'].id}", headers=auth(token)).status_code
        == 200
    )
    db.session.refresh(stored)
    assert stored.last_used_at is not None


def test_a_revoked_token_gets_401(client, world):
    token = make_token(client, world["kanto"])
    url = f"/api/v1/manage/events/{world['mine'].id}"
    assert client.get(url, headers=auth(token)).status_code == 200
    stored = db.session.scalars(db.select(ApiToken)).one()
    page = f"/organiser/projects/{world['kanto'].id}/integrations"
    post_form(client, f"{page}/tokens/{stored.id}/revoke", token_from=page)
    response = client.get(url, headers=auth(token))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert add(client, token, world["mine"].id).status_code == 401
    assert db.session.scalar(db.select(db.func.count()).select_from(Registration)) == 0
    assert "api_token_revoked" in db.session.scalars(db.select(AuditEntry.action)).all()


def test_no_token_or_a_made_up_one_gets_401(client, world):
    url = f"/api/v1/manage/events/{world['mine'].id}/registrations"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=auth("eh_madeup")).status_code == 401


def test_a_token_of_one_project_can_do_nothing_in_another(client, world):
    token = make_token(client, world["kanto"])
    theirs = world["theirs"]
    reg = factories_registration(theirs)
    db.session.commit()
    calls = [
        ("GET", f"/api/v1/manage/events/{theirs.id}", None),
        ("PATCH", f"/api/v1/manage/events/{theirs.id}", {"title": "Taken over"}),
        ("POST", f"/api/v1/manage/events/{theirs.id}/publish", None),
        ("POST", f"/api/v1/manage/events/{theirs.id}/cancel", None),
        ("GET", f"/api/v1/manage/events/{theirs.id}/registrations", None),
        ("POST", f"/api/v1/manage/events/{theirs.id}/registrations",
         {"name": "X", "email": "x@example.fi"}),
        ("GET", f"/api/v1/manage/registrations/{reg.id}", None),
        ("POST", f"/api/v1/manage/registrations/{reg.id}/cancel", None),
        ("POST", f"/api/v1/manage/events/{theirs.id}/attendance", {"registration_id": reg.id}),
        ("POST", f"/api/v1/manage/events/{theirs.id}/headcounts", {"count": 3}),
    ]  # fmt: skip
    for method, url, body in calls:
        response = client.open(url, method=method, json=body, headers=auth(token))
        assert response.status_code == 404, (method, url, response.status_code)
    db.session.expire_all()
    assert theirs.title == "Theirs" and theirs.status == EventStatus.PUBLISHED
    assert reg.status == RegistrationStatus.CONFIRMED
    assert db.session.scalar(db.select(db.func.count()).select_from(Registration)) == 1
    # Creating an event always lands in the token's own project.
    created = client.post(
        "/api/v1/manage/events",
        json={"title": "New", "kind": "training", **times()},
        headers=auth(token),
    )
    assert created.status_code == 201
    assert db.session.get(Event, created.json["id"]).project_id == world["kanto"].id


def factories_registration(event, email="reg@example.fi", status=RegistrationStatus.CONFIRMED):
    from eventhub.core.models import Person
    from eventhub.core.services import tokens

    person = Person(name="Reg Istered", email=email, email_normalised=email)
    reg = Registration(
        event=event, person=person, status=status, manage_token_hash=tokens.new_token()[1]
    )
    db.session.add(reg)
    db.session.flush()
    return reg


def test_a_read_scoped_token_cannot_write(client, world):
    token = make_token(client, world["kanto"], scopes=["registrations:read"])
    mine = world["mine"]
    assert (
        client.get(
            f"/api/v1/manage/events/{mine.id}/registrations", headers=auth(token)
        ).status_code
        == 200
    )
    response = add(client, token, mine.id)
    assert response.status_code == 403
    assert "registrations:write" in response.json["detail"]
    assert (
        client.patch(
            f"/api/v1/manage/events/{mine.id}", json={"title": "X"}, headers=auth(token)
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/manage/events/{mine.id}/headcounts", json={"count": 1}, headers=auth(token)
        ).status_code
        == 403
    )
    assert db.session.scalar(db.select(db.func.count()).select_from(Registration)) == 0


def test_a_token_stops_when_its_manager_loses_the_project(client, world):
    token = make_token(client, world["kanto"])
    from eventhub.core.models import User

    anne = db.session.scalars(db.select(User).where(User.email == "anne@example.fi")).one()
    anne.projects = []
    db.session.commit()
    assert (
        client.get(f"/api/v1/manage/events/{world['mine'].id}", headers=auth(token)).status_code
        == 401
    )


# --- idempotency -----------------------------------------------------------------------------


def test_the_same_idempotency_key_twice_creates_one_registration(client, world, mailbox):
    token = make_token(client, world["kanto"])
    event_id = world["mine"].id
    first = add(client, token, event_id, key="signup-42")
    again = add(client, token, event_id, key="signup-42")
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(db.select(db.func.count()).select_from(Registration)) == 1
    assert len(mailbox.to("aino@example.fi")) == 1  # one confirmation, not two
    other = add(client, token, event_id, key="signup-42", name="Someone Else")
    assert other.status_code == 422
    assert other.json["parameter"] == "Idempotency-Key"
    assert db.session.scalar(db.select(db.func.count()).select_from(Registration)) == 1


def test_keys_belong_to_their_token(client, world):
    one = make_token(client, world["kanto"], label="One")
    two = make_token(client, world["kanto"], label="Two")
    event_id = world["mine"].id
    assert add(client, one, event_id, key="k").status_code == 201
    # The same key from another token is another request: here, the same person again.
    second = add(client, two, event_id, key="k", email="bert@example.fi", placement="place")
    assert second.status_code == 409  # one place only, taken: refused, not a replay
    assert "Idempotent-Replayed" not in second.headers


def test_a_bad_idempotency_key_is_400(client, world):
    token = make_token(client, world["kanto"])
    response = add(client, token, world["mine"].id, key="x" * 201)
    assert response.status_code == 400 and response.json["parameter"] == "Idempotency-Key"


# --- the organiser pages' rules -----------------------------------------------------------------


def times(days=20, hours=2):
    start = (utcnow() + timedelta(days=days)).replace(microsecond=0)
    return {
        "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
    }


def test_capacity_waiting_list_cancel_and_promotion_with_mail(client, world, mailbox):
    token = make_token(client, world["kanto"])
    event_id = world["mine"].id  # one place
    first = add(client, token, event_id)
    assert first.status_code == 201 and first.json["status"] == "confirmed"
    full = add(client, token, event_id, email="bert@example.fi")
    assert full.status_code == 409
    waiting = add(
        client, token, event_id, email="bert@example.fi", placement="place_or_waitlist",
        notify=False,
    )  # fmt: skip
    assert waiting.status_code == 201 and waiting.json["status"] == "waitlisted"
    assert mailbox.to("bert@example.fi") == []  # notify false: nothing sent
    again = add(client, token, event_id)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    cancel = client.post(
        f"/api/v1/manage/registrations/{first.json['id']}/cancel",
        json={"notify": False},
        headers=auth(token),
    )
    assert cancel.status_code == 200 and cancel.json["status"] == "cancelled"
    bert = db.session.get(Registration, waiting.json["id"])
    assert bert.status == RegistrationStatus.CONFIRMED  # promoted, and mailed so
    assert len(mailbox.to("bert@example.fi")) == 1
    assert len(mailbox.to("aino@example.fi")) == 1  # the confirmation only, no receipt
    twice = client.post(
        f"/api/v1/manage/registrations/{first.json['id']}/cancel", headers=auth(token)
    )
    assert twice.status_code == 409


def test_create_publish_and_change_an_event_like_the_organiser_pages(client, world, mailbox):
    token = make_token(client, world["kanto"])
    created = client.post(
        "/api/v1/manage/events",
        json={"title": "Kylätalon ilta", "kind": "workshop", "capacity": 10, **times()},
        headers=auth(token, **{"Idempotency-Key": "ev-1"}),
    )
    assert created.status_code == 201 and created.json["status"] == "draft"
    assert created.headers["Location"].endswith(f"/api/v1/manage/events/{created.json['id']}")
    event_id = created.json["id"]
    assert db.session.get(Event, event_id).timezone == world["kanto"].timezone
    published = client.post(f"/api/v1/manage/events/{event_id}/publish", headers=auth(token))
    assert published.json["status"] == "published"
    add(client, token, event_id)
    sequence = published.json["sequence"]
    renamed = client.patch(
        f"/api/v1/manage/events/{event_id}", json={"title": "Uusi nimi"}, headers=auth(token)
    )
    assert renamed.status_code == 200 and renamed.json["sequence"] == sequence
    moved = client.patch(
        f"/api/v1/manage/events/{event_id}", json=times(days=21), headers=auth(token)
    )
    assert moved.json["sequence"] == sequence + 1
    assert len(mailbox.to("aino@example.fi")) == 2  # confirmation, then the new time
    too_small = client.patch(
        f"/api/v1/manage/events/{event_id}", json={"capacity": 0}, headers=auth(token)
    )
    assert too_small.status_code == 409 and too_small.json["parameter"] == "capacity"
    backwards = client.patch(
        f"/api/v1/manage/events/{event_id}",
        json={"end": times(days=1)["start"]},
        headers=auth(token),
    )
    assert backwards.status_code == 422
    cancelled = client.post(f"/api/v1/manage/events/{event_id}/cancel", headers=auth(token))
    assert cancelled.json["status"] == "cancelled"
    entries = db.session.scalars(db.select(AuditEntry)).all()
    token_id = db.session.scalars(db.select(ApiToken.id)).one()
    by_api = {e.action for e in entries if e.details.get("api_token_id") == token_id}
    for action in ("event_created", "event_published", "event_edited", "event_cancelled"):
        assert action in by_api  # the manager's name, and the token it went through


def test_attendance_and_headcounts(client, world):
    token = make_token(client, world["kanto"])
    mine = world["mine"]
    reg = add(client, token, mine.id).json
    url = f"/api/v1/manage/events/{mine.id}/attendance"
    first = client.post(url, json={"registration_id": reg["id"]}, headers=auth(token))
    assert first.status_code == 201 and first.json["new"] is True
    again = client.post(url, json={"registration_id": reg["id"]}, headers=auth(token))
    assert again.status_code == 200 and again.json["new"] is False
    listed = client.get(f"/api/v1/manage/events/{mine.id}/registrations", headers=auth(token))
    assert listed.json["items"][0]["present"] is True
    counted = client.post(
        f"/api/v1/manage/events/{mine.id}/headcounts",
        json={"count": 12, "note": "Yleisö"},
        headers=auth(token),
    )
    assert counted.status_code == 201 and counted.json["count"] == 12


@pytest.mark.parametrize(
    "body, parameter",
    [
        ({"name": "A"}, "email"),
        ({"name": "A", "email": "not an address"}, "email"),
        ({"name": "", "email": "a@example.fi"}, "name"),
        ({"name": "A", "email": "a@example.fi", "notify": "yes"}, "notify"),
        ({"name": "A", "email": "a@example.fi", "surprise": 1}, "surprise"),
        ({"name": "A", "email": "a@example.fi", "placement": "front"}, "placement"),
    ],
)
def test_bad_bodies_are_422_with_the_field(client, world, body, parameter):
    token = make_token(client, world["kanto"])
    response = client.post(
        f"/api/v1/manage/events/{world['mine'].id}/registrations",
        json=body,
        headers=auth(token),
    )
    assert response.status_code == 422, response.json
    assert response.json.get("parameter") == parameter
    assert db.session.scalar(db.select(db.func.count()).select_from(Registration)) == 0


def test_requests_are_limited_per_token(app, client, world):
    app.config["API_TOKEN_RATE_LIMIT"] = "3 per minute"
    one = make_token(client, world["kanto"], label="One")
    two = make_token(client, world["kanto"], label="Two")
    url = f"/api/v1/manage/events/{world['mine'].id}"
    codes = [client.get(url, headers=auth(one)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get(url, headers=auth(one))
    assert limited.mimetype == "application/problem+json"
    assert client.get(url, headers=auth(two)).status_code == 200
    # The public read API is not counted against tokens.
    assert all(client.get("/api/v1/events").status_code == 200 for _ in range(5))


# --- the OpenAPI document ---------------------------------------------------------------------


def test_every_documented_write_response_is_what_the_server_returns(app, client, world):
    """Every (path, method, status) of /manage/ in the document is requested for real and
    each answer validated against its schema; nothing documented is left untried."""
    kanto, mine = world["kanto"], world["mine"]
    token = make_token(client, kanto)
    reader = make_token(client, kanto, scopes=["attendance:write"], label="Door")
    draft = factories.event(title="Draft", project=kanto, status=EventStatus.DRAFT)
    past = factories.event(
        title="Past draft", project=kanto, status=EventStatus.DRAFT,
        starts_at=utcnow() - timedelta(days=2),
    )  # fmt: skip
    db.session.commit()
    reg = add(client, token, mine.id, email="r@example.fi").json["id"]
    closed = factories.event(title="Closed", project=kanto, closed_at=utcnow())
    at_closed = factories_registration(closed).id
    db.session.commit()
    ev = f"/api/v1/manage/events/{mine.id}"
    r = f"/api/v1/manage/registrations/{reg}"
    new_event = {"title": "T", "kind": "training", **times()}
    calls: dict[tuple[str, str, str], list[tuple[str, dict | None, dict]]] = {
        ("/manage/events", "post", "201"): [("/api/v1/manage/events", new_event, {})],
        ("/manage/events", "post", "409"): [
            ("/api/v1/manage/events", {**new_event, **times(days=-3), "publish": True}, {})
        ],
        ("/manage/events/{event_id}", "get", "200"): [(ev, None, {})],
        ("/manage/events/{event_id}", "patch", "200"): [(ev, {"venue": "Sali"}, {})],
        ("/manage/events/{event_id}", "patch", "409"): [(ev, {"capacity": 0}, {})],
        ("/manage/events/{event_id}/publish", "post", "200"): [
            (f"/api/v1/manage/events/{draft.id}/publish", None, {})
        ],
        ("/manage/events/{event_id}/publish", "post", "409"): [
            (f"/api/v1/manage/events/{past.id}/publish", None, {})
        ],
        ("/manage/events/{event_id}/cancel", "post", "200"): [
            (f"/api/v1/manage/events/{draft.id}/cancel", None, {})
        ],
        ("/manage/events/{event_id}/registrations", "get", "200"): [
            (f"{ev}/registrations", None, {})
        ],
        ("/manage/events/{event_id}/registrations", "post", "201"): [
            (f"{ev}/registrations", {"name": "W", "email": "w@example.fi",
                                     "placement": "place_or_waitlist"}, {})
        ],
        ("/manage/events/{event_id}/registrations", "post", "200"): [
            (f"{ev}/registrations", {"name": "R", "email": "r@example.fi"}, {})
        ],
        ("/manage/events/{event_id}/registrations", "post", "409"): [
            (f"{ev}/registrations", {"name": "F", "email": "f@example.fi"}, {})
        ],
        ("/manage/registrations/{registration_id}", "get", "200"): [(r, None, {})],
        ("/manage/events/{event_id}/attendance", "post", "201"): [
            (f"{ev}/attendance", {"registration_id": reg}, {})
        ],
        ("/manage/events/{event_id}/attendance", "post", "200"): [
            (f"{ev}/attendance", {"registration_id": reg}, {})
        ],
        ("/manage/events/{event_id}/attendance", "post", "409"): [
            (f"/api/v1/manage/events/{closed.id}/attendance",
             {"registration_id": at_closed}, {})
        ],
        ("/manage/events/{event_id}/headcounts", "post", "201"): [
            (f"{ev}/headcounts", {"count": 4}, {})
        ],
        ("/manage/events/{event_id}/headcounts", "post", "409"): [
            (f"/api/v1/manage/events/{closed.id}/headcounts", {"count": 4}, {})
        ],
        ("/manage/registrations/{registration_id}/cancel", "post", "200"): [
            (f"{r}/cancel", {"notify": False}, {})
        ],
        ("/manage/registrations/{registration_id}/cancel", "post", "409"): [
            (f"{r}/cancel", None, {})
        ],
    }  # fmt: skip
    document = client.get("/api/v1/openapi.json").json
    operations = {
        (path, method): operation
        for path, ops in document["paths"].items()
        if path.startswith("/manage/")
        for method, operation in ops.items()
    }
    for (path, method), operation in operations.items():
        url = "/api/v1" + path.replace("{event_id}", str(mine.id)).replace(
            "{registration_id}", str(reg)
        )
        generic = {
            "401": [(url, None, {"Authorization": "Bearer eh_nothing"})],
            "403": [(url, None, {"Authorization": f"Bearer {reader}"})]
            if not path.endswith(("/attendance", "/headcounts"))
            else [(url, None, {"Authorization": "Bearer " + make_token(
                client, kanto, scopes=["registrations:read"], label="R")})],
            "404": [(url.replace(str(mine.id), "999999").replace(str(reg), "999999"), None, {})],
            "400": [(url, None, {"Idempotency-Key": "ä"})],
            "422": [(url, {"surprise": 1}, {})],
            "429": [(url, None, {})],  # tried last, with the limit lowered
        }  # fmt: skip
        for status in operation["responses"]:
            if (path, method, status) not in calls:
                assert status in generic, (path, method, status)
                calls[(path, method, status)] = generic[status]
    documented = {
        (path, method, status)
        for (path, method), operation in operations.items()
        for status in operation["responses"]
    }
    assert documented == set(calls), set(calls) ^ documented
    # The 400/401/403/404/422 of a route are tried before its successes change anything.
    order = sorted(
        calls.items(),
        key=lambda item: (
            item[0][2] == "429",
            item[0][2] not in ("400", "401", "403", "404", "422"),
        ),
    )
    for (path, method, status), requests in order:
        if status == "429":
            app.config["API_TOKEN_RATE_LIMIT"] = "1 per hour"
            client.get(f"/api/v1/manage/events/{mine.id}", headers=auth(token))  # the one
        spec = document["paths"][path][method]["responses"][status]
        for url, body, headers in requests:
            sent = {"Authorization": f"Bearer {token}", **headers}
            response = client.open(url, method=method.upper(), json=body, headers=sent)
            assert str(response.status_code) == status, (url, status, response.get_data())
            content = spec["content"]
            assert response.mimetype in content, (url, response.mimetype)
            schema = content[response.mimetype]["schema"]
            schema_validator(document, schema).validate(response.json)


def test_one_key_sent_at_once_from_several_threads_makes_one_event(app, client, world):
    """A client retrying before its first request has answered: the requests race, one
    event is made, and every answer is that event's."""
    import threading

    app.config["MAIL_DELIVERY"] = "worker"
    token = make_token(client, world["kanto"])
    before = db.session.scalar(db.select(db.func.count()).select_from(Event))
    clients = [app.test_client() for _ in range(4)]
    start = threading.Barrier(len(clients))
    answers: list = []
    lock = threading.Lock()
    body = {"title": "Kilpa", "kind": "training", **times()}

    def send(c) -> None:
        start.wait()
        try:
            response = c.post(
                "/api/v1/manage/events",
                json=body,
                headers=auth(token, **{"Idempotency-Key": "race-1"}),
            )
            outcome = (response.status_code, response.get_json().get("id"))
        except Exception as exc:  # noqa: BLE001 - any exception is a failure to report
            outcome = (repr(exc), None)
        with lock:
            answers.append(outcome)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == 4
    assert {status for status, _id in answers} == {201}, answers
    assert len({event_id for _status, event_id in answers}) == 1
    db.session.rollback()  # read afresh, after the threads' commits
    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == before + 1


def test_the_write_api_never_answers_a_server_error(app, client, world):
    """Requests generated from the document for every /manage/ operation, with a working
    token of every permission: valid ones and ones that break the document's rules get an
    answer, never a 5xx (schemathesis's own check, plus the documented statuses)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error, status_code_conformance

    token = make_token(client, world["kanto"])
    app.config.update(PROPAGATE_EXCEPTIONS=False, MAIL_DELIVERY="worker")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/manage/")
    ]
    assert len(operations) == 11
    for operation in operations:
        # Requests the document allows get one of its documented answers; ones breaking it
        # may get any 4xx (an unknown address answers 404 or 405), never a 5xx.
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            checks = [not_a_server_error]
            if mode == GenerationMode.POSITIVE:
                checks.append(status_code_conformance)

            @settings(
                deadline=None,
                database=None,
                max_examples=60,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            )
            @given(case=operation.as_strategy(mode))
            def call(case):
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
                case.validate_response(case.call(), checks=checks)  # noqa: B023 - run at once

            call()


def test_a_wrong_method_says_which_ones_the_address_takes(client, world):
    token = make_token(client, world["kanto"])
    response = client.put(f"/api/v1/manage/events/{world['mine'].id}", headers=auth(token))
    assert response.status_code == 405
    assert "GET, PATCH" in response.json["detail"]
