"""Whatever a visitor puts in an address, the answer is never a 500: absurd numbers get a
clear 400 or 404, and a NUL byte a 400 where the database refuses it."""

import pytest

from eventhub.core.models import Role
from tests import factories
from tests.helpers import sign_in

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
