"""An event's own questions: conditional questions on every form that asks them, and the
organiser's question editor (edit, reorder, preview, remove with a confirmation)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from eventhub.core.models import (
    AuditEntry,
    EventQuestion,
    Person,
    QuestionType,
    Registration,
    Role,
)
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import manage_link, post_form, sign_in, signup

MEAL = "Tarvitsetko aterian?"
WHICH = "Minkä aterian?"


def _manager(project, email="anne@example.fi"):
    return factories.user(email=email, role=Role.MANAGER, projects=[project])


def _meal_event(project=None, **kw):
    """An event asking whether one needs a meal and, only after "yes", which one (required)."""
    event = factories.event(project=project or factories.project(), **kw)
    meal = EventQuestion(
        event=event, position=1, label=MEAL, type=QuestionType.YES_NO, required=True
    )
    db.session.add(meal)
    db.session.flush()
    which = EventQuestion(
        event=event,
        position=2,
        label=WHICH,
        type=QuestionType.SINGLE_CHOICE,
        required=True,
        choices=["Kasvis", "Liha"],
        condition_question_id=meal.id,
        condition_answers=["yes"],
    )
    db.session.add(which)
    db.session.commit()
    return event, meal, which


def _answers(email: str) -> dict:
    registration = db.session.scalars(
        select(Registration).join(Person).where(Person.email == email)
    ).one()
    return registration.answers


# -- conditional questions ------------------------------------------------------------------


def test_a_question_hidden_by_an_answer_is_neither_required_nor_stored(client):
    event, meal, which = _meal_event()
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    # Without JavaScript every question shows, its condition written beside it.
    assert WHICH in page
    assert f"Answer only if you answered “Yes” to “{MEAL}”." in page
    assert f'data-depends-on="q_{meal.id}"' in page

    # "No": the meal question is hidden, so no answer is required...
    response = signup(client, event.id, email="eivastaa@example.fi", **{f"q_{meal.id}": "no"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert _answers("eivastaa@example.fi") == {str(meal.id): "no"}
    # ... and an answer sent to it all the same (no JavaScript: it was on the page) is dropped.
    response = signup(
        client, event.id, email="ei@example.fi", **{f"q_{meal.id}": "no", f"q_{which.id}": "Liha"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert _answers("ei@example.fi") == {str(meal.id): "no"}

    # "Yes": now it is asked and required.
    response = signup(client, event.id, email="kylla@example.fi", **{f"q_{meal.id}": "yes"})
    assert response.status_code == 422
    assert "Please choose one." in response.get_data(as_text=True)
    response = signup(
        client,
        event.id,
        email="kylla@example.fi",
        **{f"q_{meal.id}": "yes", f"q_{which.id}": "Kasvis"},
    )
    assert response.status_code == 303
    assert _answers("kylla@example.fi") == {str(meal.id): "yes", str(which.id): "Kasvis"}


def test_a_chain_of_conditions_hides_what_hangs_on_a_hidden_question(client):
    event, meal, which = _meal_event()
    why = EventQuestion(
        event=event,
        position=3,
        label="Miksi liha?",
        type=QuestionType.SHORT_TEXT,
        required=True,
        condition_question_id=which.id,
        condition_answers=["Liha"],
    )
    db.session.add(why)
    db.session.commit()
    # "No" hides "which meal", so "why meat" is hidden too, whatever "which meal" says.
    response = signup(
        client,
        event.id,
        email="ketju@example.fi",
        **{f"q_{meal.id}": "no", f"q_{which.id}": "Liha", f"q_{why.id}": ""},
    )
    assert response.status_code == 303
    assert _answers("ketju@example.fi") == {str(meal.id): "no"}


def test_changing_an_answer_on_the_manage_page_drops_the_hidden_answer(client, mailbox):
    event, meal, which = _meal_event()
    signup(
        client,
        event.id,
        email="muuttaja@example.fi",
        **{f"q_{meal.id}": "yes", f"q_{which.id}": "Liha"},
    )
    link = manage_link(mailbox.to("muuttaja@example.fi")[0])
    response = client.post(
        link,
        data={
            "csrf_token": csrf_token(client, link),
            "name": "Aino Korhonen",
            f"q_{meal.id}": "no",
            f"q_{which.id}": "Liha",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert _answers("muuttaja@example.fi") == {str(meal.id): "no"}


def test_the_organisers_add_by_hand_form_follows_the_conditions(client):
    project = factories.project()
    _manager(project)
    event, meal, which = _meal_event(project)
    sign_in(client, "anne@example.fi")
    url = f"/organiser/events/{event.id}/registrations/new"
    assert f"Answer only if you answered “Yes” to “{MEAL}”." in client.get(url).text
    data = {"name": "Eino Leino", "email": "eino@example.fi", "locale": "fi",
            "placement": "place", "consent": "y"}  # fmt: skip
    refused = post_form(client, url, {**data, f"q_{meal.id}": "yes"})
    assert refused.status_code == 422 and "Please choose one." in refused.text
    ok = post_form(client, url, {**data, f"q_{meal.id}": "no", f"q_{which.id}": "Liha"})
    assert ok.status_code == 303
    assert _answers("eino@example.fi") == {str(meal.id): "no"}


def test_the_export_leaves_a_hidden_questions_cell_empty_never_stale(client):
    project = factories.project()
    _manager(project)
    event, meal, which = _meal_event(project)
    # Answered before the organiser made "which meal" depend on "yes": stored, now stale.
    signup(client, event.id, email="vanha@example.fi", **{f"q_{meal.id}": "yes",
                                                          f"q_{which.id}": "Liha"})  # fmt: skip
    registration = db.session.scalars(select(Registration)).one()
    registration.answers = {str(meal.id): "no", str(which.id): "Liha"}
    db.session.commit()
    sign_in(client, "anne@example.fi")
    raw = client.get(f"/organiser/events/{event.id}/registrations/export.csv").get_data()
    header, row = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    cells = dict(zip(header, row, strict=True))
    assert cells[MEAL] == "No" and cells[WHICH] == ""
    listing = client.get(f"/organiser/events/{event.id}/registrations").text
    assert "Liha" not in listing


def test_a_workshop_series_form_asks_a_conditional_question_once_for_its_sessions(client):
    from tests.test_formats_workshops import series_signup, series_with_sessions

    series, (first, second, _third) = series_with_sessions()
    asked = {}
    for event in (first, second):
        meal = EventQuestion(event=event, position=1, label=MEAL, type=QuestionType.YES_NO)
        db.session.add(meal)
        db.session.flush()
        which = EventQuestion(event=event, position=2, label=WHICH, required=True,
                              type=QuestionType.SINGLE_CHOICE, choices=["Kasvis", "Liha"],
                              condition_question_id=meal.id, condition_answers=["yes"])  # fmt: skip
        db.session.add(which)
        db.session.flush()
        asked[event.id] = (meal.id, which.id)
    db.session.commit()
    page = client.get(f"/workshops/series/{series.id}").text
    assert page.count(f"Answer only if you answered “Yes” to “{MEAL}”.") == 1
    meal_id, which_id = asked[first.id]
    assert f'data-depends-on="q_{meal_id}"' in page

    needed = series_signup(client, series, [first.id, second.id], **{f"q_{meal_id}": "yes"})
    assert needed.status_code == 422
    done = series_signup(
        client, series, [first.id, second.id], **{f"q_{meal_id}": "no", f"q_{which_id}": "Liha"}
    )
    assert done.status_code in (200, 303), done.text
    answers = {r.event_id: r.answers for r in db.session.scalars(select(Registration))}
    assert answers == {
        first.id: {str(asked[first.id][0]): "no"},
        second.id: {str(asked[second.id][0]): "no"},
    }


# -- the question editor ---------------------------------------------------------------------


def _editor(client, project=None):
    project = project or factories.project()
    _manager(project)
    event, meal, which = _meal_event(project)
    sign_in(client, "anne@example.fi")
    return event, meal, which


def _edit(client, event, question, **fields):
    url = f"/organiser/events/{event.id}/questions/{question.id}/edit"
    data = {
        "label": question.label,
        "help_text": question.help_text,
        "choices": "\n".join(question.choices),
        "required": "y" if question.required else None,
    }
    data.update(fields)
    return post_form(client, url, {k: v for k, v in data.items() if v is not None})


def test_an_edit_shows_on_the_public_form_at_once(client):
    event, meal, which = _editor(client)
    assert WHICH in client.get(f"/events/{event.id}").text  # the form class is now cached
    response = _edit(
        client,
        event,
        which,
        label="Mikä ruokavalio?",
        help_text="Keittiö tarvitsee tiedon viikkoa ennen.",
        choices="Kasvis\nLiha\nVegaani",
        condition=[f"{meal.id}:yes"],
    )
    assert response.status_code == 303, response.text
    page = client.get(f"/events/{event.id}").text
    assert "Mikä ruokavalio?" in page and WHICH not in page
    assert "Keittiö tarvitsee tiedon viikkoa ennen." in page and 'value="Vegaani"' in page
    # Not required any more, and asked of everyone once the condition is untied.
    _edit(client, event, which, label="Mikä ruokavalio?", required=None, choices="Kasvis\nLiha")
    page = client.get(f"/events/{event.id}").text
    assert "Answer only if" not in page
    assert (
        signup(client, event.id, email="a@example.fi", **{f"q_{meal.id}": "yes"}).status_code == 303
    )


def test_labels_help_and_choices_in_the_sites_other_languages(client):
    event, meal, which = _editor(client)
    response = _edit(
        client,
        event,
        which,
        condition=[f"{meal.id}:yes"],
        label_lv="Kāda maltīte?",
        help_lv="Virtuvei.",
        choices_lv="Veģetārā\nGaļas",
    )
    assert response.status_code == 303, response.text
    client.get("/language/lv")
    page = client.get(f"/events/{event.id}").text
    assert "Kāda maltīte?" in page and "Virtuvei." in page
    # The choice is shown in Latvian and sent (and stored) as written in the event's language.
    assert 'value="Liha"' in page and "Gaļas" in page
    response = signup(
        client, event.id, email="lv@example.fi", **{f"q_{meal.id}": "yes", f"q_{which.id}": "Liha"}
    )
    assert response.status_code == 303
    assert _answers("lv@example.fi")[str(which.id)] == "Liha"
    client.get("/language/fi")
    assert WHICH in client.get(f"/events/{event.id}").text


def test_questions_move_up_and_down_without_javascript(client):
    event, meal, which = _editor(client)
    extra = EventQuestion(event=event, position=3, label="Terveiset?", type=QuestionType.SHORT_TEXT)
    db.session.add(extra)
    db.session.commit()
    url = f"/organiser/events/{event.id}/questions/{extra.id}/move"
    assert post_form(client, url, {"direction": "up"}, token_from=_qs(event)).status_code == 303
    db.session.expire_all()
    assert [q.label for q in event.questions] == [MEAL, "Terveiset?", WHICH]
    page = client.get(f"/events/{event.id}").text
    assert page.index(MEAL) < page.index("Terveiset?") < page.index(WHICH)
    # "Which meal" cannot pass the question it depends on.
    url = f"/organiser/events/{event.id}/questions/{which.id}/move"
    post_form(client, url, {"direction": "up"}, token_from=_qs(event))
    response = post_form(client, url, {"direction": "up"}, token_from=_qs(event))
    assert response.status_code == 303
    db.session.expire_all()
    assert [q.label for q in event.questions] == [MEAL, WHICH, "Terveiset?"]
    assert "stays below it" in client.get(_qs(event)).text


def test_a_condition_must_name_an_earlier_choice_question_and_one_question_only(client):
    event, meal, which = _editor(client)
    text = EventQuestion(event=event, position=3, label="Terveiset?", type=QuestionType.SHORT_TEXT)
    db.session.add(text)
    db.session.commit()
    both = _edit(client, event, text, condition=[f"{meal.id}:yes", f"{which.id}:Liha"])
    assert both.status_code == 422 and "Tick answers of one question only." in both.text
    # The meal question cannot depend on a later one: the choice is not even offered.
    later = _edit(client, event, meal, condition=[f"{which.id}:Liha"])
    assert later.status_code == 422
    db.session.expire_all()
    assert meal.condition_question_id is None


def test_a_choice_that_a_condition_names_cannot_be_removed(client):
    event, meal, which = _editor(client)
    why = EventQuestion(event=event, position=3, label="Miksi liha?", type=QuestionType.SHORT_TEXT,
                        condition_question_id=which.id, condition_answers=["Liha"])  # fmt: skip
    db.session.add(why)
    db.session.commit()
    response = _edit(client, event, which, choices="Kasvis\nKala", condition=[f"{meal.id}:yes"])
    # The form comes back with what was typed and why it was refused.
    assert response.status_code == 422 and "condition first." in response.text
    assert "Kasvis\nKala" in response.text
    db.session.expire_all()
    assert which.choices == ["Kasvis", "Liha"]


def test_preview_shows_the_form_and_checks_it_without_saving(client):
    event, meal, which = _editor(client)
    url = f"/organiser/events/{event.id}/questions/preview?lang=en"
    page = client.get(url)
    assert page.status_code == 200 and WHICH in page.text and "nothing is saved" in page.text
    sent = post_form(client, url, {"name": "Testi", "email": "t@example.fi", "consent": "y",
                                   f"q_{meal.id}": "yes"})  # fmt: skip
    assert sent.status_code == 422 and "Please choose one." in sent.text
    sent = post_form(client, url, {"name": "Testi", "email": "t@example.fi", "consent": "y",
                                   f"q_{meal.id}": "no"})  # fmt: skip
    assert sent.status_code == 200 and "The form would be accepted" in sent.text
    assert db.session.scalars(select(Registration)).all() == []


def test_removing_asks_first_and_answers_go_only_when_confirmed(client):
    event, meal, which = _editor(client)
    which_id = which.id
    url = f"/organiser/events/{event.id}/questions/{which.id}/delete"
    page = client.get(url)
    assert page.status_code == 200 and "Nobody has answered this question yet." in page.text

    signup(
        client, event.id, email="v@example.fi", **{f"q_{meal.id}": "yes", f"q_{which.id}": "Liha"}
    )
    page = client.get(url).text
    assert "1 person has answered this question." in page
    refused = post_form(client, url)
    assert refused.status_code == 409 and "tick the box" in refused.text
    db.session.expire_all()
    assert db.session.get(EventQuestion, which.id) is not None

    removed = post_form(client, url, {"answers_go": "y"})
    assert removed.status_code == 303
    db.session.expire_all()
    assert db.session.get(EventQuestion, which_id) is None
    assert _answers("v@example.fi") == {str(meal.id): "yes"}
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "question_removed_with_answers")
    ).one()
    assert entry.details == {"count": 1} and entry.object_id == which_id
    assert WHICH not in client.get(f"/events/{event.id}").text


def test_removing_a_question_others_depend_on_asks_them_of_everyone(client):
    event, meal, which = _editor(client)
    url = f"/organiser/events/{event.id}/questions/{meal.id}/delete"
    assert WHICH in client.get(url).text  # the page names what loses its condition
    assert post_form(client, url).status_code == 303
    page = client.get(f"/events/{event.id}").text
    assert WHICH in page and "Answer only if" not in page


def test_another_projects_organiser_gets_404_on_every_question_page(client):
    mine, theirs = factories.project(code="A"), factories.project(code="B")
    _manager(mine)
    own = factories.event(project=mine)
    event, meal, which = _meal_event(theirs)
    sign_in(client, "anne@example.fi")
    token = csrf_token(client, "/organiser/")
    base = f"/organiser/events/{event.id}/questions"
    for method, url in [
        ("GET", base),
        ("GET", f"{base}/preview"),
        ("GET", f"{base}/{which.id}/edit"),
        ("POST", f"{base}/{which.id}/edit"),
        ("POST", f"{base}/{which.id}/move"),
        ("GET", f"{base}/{which.id}/delete"),
        ("POST", f"{base}/{which.id}/delete"),
        # Their question through my own event is not found either.
        ("GET", f"/organiser/events/{own.id}/questions/{which.id}/edit"),
        ("POST", f"/organiser/events/{own.id}/questions/{which.id}/delete"),
    ]:
        response = client.open(
            url, method=method, data={"csrf_token": token, "direction": "up", "label": "X"}
        )
        assert response.status_code == 404, (method, url, response.status_code)
    db.session.expire_all()
    assert db.session.get(EventQuestion, which.id).label == WHICH


def _qs(event) -> str:
    return f"/organiser/events/{event.id}/questions"
