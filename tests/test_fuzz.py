"""Fuzzing what anyone can send: the JSON API driven by its own OpenAPI document
(schemathesis, a few hundred generated requests per operation) and the signup form and API
parameters with arbitrary text (Hypothesis). Whatever arrives, the answer is never a 5xx.

Examples are bounded so the whole file takes seconds; Hypothesis keeps no example database
(nothing is written into the working tree)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from eventhub.core.db import utcnow
from eventhub.core.models import EventKind, EventStatus
from eventhub.extensions import db
from tests import factories

API_EXAMPLES = 200  # per operation, half valid, half breaking the document
FORM_EXAMPLES = 80
FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def open_app(app):
    """The app as production answers (an exception is a 500, not a test error), with a few
    events of every kind to find, one in the past and one cancelled."""
    app.config.update(PROPAGATE_EXCEPTIONS=False, MAIL_DELIVERY="worker")
    project = factories.project(code="KANTO", collects_background=True)
    factories.municipality()
    for kind in EventKind:
        factories.event(kind=kind, project=project, title=f"{kind.value} ilta")
    factories.event(starts_at=utcnow() - timedelta(days=3), title="Mennyt")
    factories.event(status=EventStatus.CANCELLED, title="Peruttu")
    db.session.commit()
    return app


def test_the_api_never_answers_a_server_error(open_app):
    """Every operation of /api/v1/openapi.json, with requests generated from the document:
    valid ones and, at least as many, ones that break its rules."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", open_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 2  # the event list and one event
    for operation in operations:

        @settings(FUZZ, max_examples=API_EXAMPLES)
        @given(
            case=st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            )
        )
        def call(case):
            response = case.call()
            case.validate_response(response, checks=[not_a_server_error])

        call()


# Any text at all, control characters and other scripts' digits included; surrogates cannot
# be sent as UTF-8 by any client.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
PARAMETERS = ("kind", "project", "municipality", "from", "to", "q", "page", "per_page")


@settings(FUZZ, max_examples=FORM_EXAMPLES)
@given(params=st.dictionaries(st.sampled_from(PARAMETERS), TEXT, max_size=4))
@example(params={"project": "²", "municipality": "²"})  # str.isdigit() but not int()
@example(params={"page": "²", "per_page": "٣"})
def test_api_parameters_get_an_answer_or_a_clear_400(open_app, params):
    response = open_app.test_client().get("/api/v1/events", query_string=params)
    assert response.status_code in (200, 400), (params, response.status_code)
    assert response.is_json
    if response.status_code == 400:
        assert response.get_json()["parameter"] in PARAMETERS


@settings(FUZZ, max_examples=FORM_EXAMPLES // 2)
@given(reference=TEXT.filter(lambda t: "/" not in t and t not in ("", ".", "..")))
@example(reference="²")
@example(reference="\x00")
def test_project_feeds_by_any_reference_are_found_or_not(open_app, reference):
    """An old project feed link (by code or id) moves to the feed's new address, which
    answers; anything else is a 404 (or a 400 for what no database can hold, a NUL byte),
    never a 5xx."""
    client = open_app.test_client()
    response = client.get(f"/calendar/project/{reference}.ics")
    assert response.status_code in (200, 301, 400, 404), (reference, response.status_code)
    if response.status_code == 301:
        assert client.get(response.headers["Location"]).status_code == 200, reference


SIGNUP_FIELDS = {
    "name": TEXT,
    "email": st.one_of(TEXT, st.emails().map(str)),
    "phone": TEXT,
    "organisation": TEXT,
    "municipality": st.one_of(TEXT, st.sampled_from(["1", "2", " ", "²", "0"])),
    "gender": TEXT,
    "age_band": st.one_of(TEXT, st.sampled_from(["18-29", " ", "\t"])),
    "labour_status": TEXT,
    "accessibility_needs": TEXT,
    "dietary_needs": TEXT,
    "consent": st.sampled_from(["y", "", "n"]),
}


@settings(FUZZ, max_examples=FORM_EXAMPLES)
@given(form=st.fixed_dictionaries({}, optional=SIGNUP_FIELDS))
@example(form={"name": "Aino", "email": "aino@example.fi", "consent": "y", "age_band": " "})
def test_the_signup_form_takes_anything_without_a_server_error(open_app, form):
    """Whatever the form holds: registered (303), or the form again with a message (422)."""
    open_app.config["WTF_CSRF_ENABLED"] = False  # the CSRF check has tests of its own
    response = open_app.test_client().post("/events/1/register", data=form)
    assert response.status_code in (303, 422), (form, response.status_code)
    if response.status_code == 422:
        assert 'class="error' in response.get_data(as_text=True) or "error" in response.text
