"""Whatever a visitor puts in an address, the answer is never a 500: absurd numbers get a
clear 400 or 404, and a NUL byte a 400 where the database refuses it."""

import pytest
from sqlalchemy import select

from eventhub.core.models import Registration, Role
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import sign_in, signup

HUGE = "99999999999999999999"


@pytest.fixture
def app_without_propagation(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug would show as a 500, as in production
    return app


@pytest.mark.parametrize(
    "url",
    [
        f"/events/{HUGE}",
        f"/calendar/events/{HUGE}.ics",
        f"/api/v1/events/{HUGE}",
        f"/api/v1/events?page={HUGE}",
        "/api/v1/events?q=%00",
        "/api/v1/events?project=%00",
        "/calendar/project/%00.ics",
    ],
)
def test_public_addresses_with_absurd_values_are_refused_not_failed(
    app_without_propagation, client, url
):
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    if HUGE in url:
        assert response.status_code in (400, 404)
    if url.startswith("/api/"):
        assert response.is_json


@pytest.mark.parametrize(
    "url",
    [
        f"/organiser/audit?page={HUGE}",
        f"/organiser/indicators/?project={HUGE}",
        f"/organiser/events/{HUGE}",
        "/organiser/events/1/registrations?q=%00",
        f"/organiser/events/1/registrations?page={HUGE}",
    ],
)
def test_organiser_addresses_with_absurd_values_are_refused_not_failed(
    app_without_propagation, client, url
):
    project = factories.project()
    factories.event(project=project)
    factories.user(email="boss@example.fi", role=Role.ADMIN)
    sign_in(client, "boss@example.fi")
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    if HUGE in url:
        assert response.status_code in (400, 404)


# "²" is a digit to str.isdigit() but not to int(); "٣" is one to both; neither is an id.
UNICODE_DIGITS = ["²", "٣", "１", "1_0", "+1", " "]


@pytest.mark.parametrize("value", UNICODE_DIGITS)
@pytest.mark.parametrize("parameter", ["project", "municipality", "page", "per_page"])
def test_api_numbers_in_other_scripts_get_a_clear_400(
    app_without_propagation, client, parameter, value
):
    factories.project(code="KANTO")
    response = client.get("/api/v1/events", query_string={parameter: value})
    assert response.status_code == 400, (parameter, value, response.status_code)
    assert response.is_json and response.get_json()["parameter"] == parameter


@pytest.mark.parametrize("value", ["²", "٣", "１"])
def test_project_feed_by_a_unicode_digit_is_not_found(app_without_propagation, client, value):
    factories.event(project=factories.project(code="KANTO"))
    assert client.get(f"/calendar/project/{value}.ics").status_code == 404


@pytest.mark.parametrize(
    "target", ["/organiser/\r\nSet-Cookie: x=1", "/\nx", "/\\evil.example", "/a\x7f"]
)
def test_line_breaks_in_next_never_reach_a_header(app_without_propagation, client, target):
    response = client.get("/language/fi", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    factories.user(email="anne@example.fi")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "anne@example.fi",
            "password": "a long password",
            "next": target,
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/organiser/"


@pytest.mark.parametrize("field", ["age_band", "municipality", "gender", "labour_status"])
@pytest.mark.parametrize("blank", [" ", "\t", "  \n "])
def test_a_choice_sent_as_spaces_counts_as_no_choice(
    app_without_propagation, client, mailbox, field, blank
):
    project = factories.project(collects_background=True)
    factories.municipality()
    event = factories.event(project=project)
    response = signup(client, event.id, **{field: blank})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    registration = db.session.scalars(select(Registration)).one()
    assert getattr(registration, field if field != "municipality" else "municipality_id") is None
