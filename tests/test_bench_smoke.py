"""`make bench` reads the signup form off the event page and fills it in as a visitor would
(bench/forms.py). If the form gains a required field the benchmark cannot answer, this test
fails here instead of the benchmark quietly reporting signup as not available."""

from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from bench.forms import find_signup_form
from eventhub.core.models import Registration
from eventhub.extensions import db
from tests import factories


def test_benchmark_registers_through_the_real_signup_form(client):
    event = factories.event(capacity=5)
    page = client.get(f"/events/{event.id}")
    form = find_signup_form(page.get_data(as_text=True))
    assert form is not None and form.csrf_token

    answer = client.post(
        form.action, data=MultiDict(form.fill("Bench Visitor", "visitor@bench.example.org"))
    )

    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    registered = select(func.count()).where(Registration.event_id == event.id)
    assert db.session.scalar(registered) == 1


def test_the_signup_profiler_runs_signups_and_reports_them(capsys):
    """bench/profile_signup.py (docs/performance.md) signs people up through the real page
    and form and prints what they cost."""
    from bench import profile_signup

    profile_signup.main(["-n", "3", "--rounds", "1", "--top", "3"])

    report = capsys.readouterr().out
    assert "Python function calls per signup" in report and "SQL statements" in report
