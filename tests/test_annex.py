"""ESF+ Annex I: each participant once per project with their first participation's data,
special categories asked only with consent, kept apart and never shown below 5."""

from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy import func, select

from eventhub.core.models import (
    AgeBand,
    AnnexAnswer,
    Education,
    EventKind,
    EventStatus,
    Gender,
    LabourStatus,
    Registration,
    Role,
    SpecialCategoryAnswer,
)
from eventhub.core.services import annex, retention
from eventhub.extensions import db
from tests import factories
from tests.helpers import post_form, sign_in, signup
from tests.test_indicators import at, attend, close, person, register, walk_in


def take_part(event, who, special=None, **given):
    """``who`` registers with the given answers (Annex I ones by name) and attends."""
    background = {k: given.pop(k) for k in ("gender", "age_band", "labour_status") if k in given}
    reg = register(event, who, **background)
    if given:
        db.session.add(AnnexAnswer(registration_id=reg.id, **given))
    if special is not None:
        db.session.add(SpecialCategoryAnswer(registration_id=reg.id, **special))
    attend(reg)
    return reg


def annex_scenario():
    """E1 (March), E2 (April), E3 (May) held; E4 not closed; an event of another project.

    A: E1 woman, long-term unemployed, born 2000, ISCED 0-2, rural; then at E2 a man,
       employed, born 1960, ISCED 5-8, with a disability (none of which may count).
    D1-D6: E1 (women D1-D3, men D4-D6, unemployed, 30-54), all with a disability, D1-D4 of a
       minority; again at E2 as non-binary without a disability.
    W: a walk-in at E1 with nothing recorded.
    B: first at E2 (non-binary, in education, under 18, ISCED 3-4, homeless, third-country
       national), again at E3.
    C: only at E4 (not held); A also at the other project's event.
    """
    project = factories.project(code="ANNEX", name="Annex project", collects_annex_i=True)
    other = factories.project(code="OTHER", name="Other")
    e1 = factories.event(title="E1", project=project, starts_at=at("2025-03-10T08:00:00"))
    e2 = factories.event(title="E2", project=project, starts_at=at("2025-04-05T08:00:00"))
    e3 = factories.event(title="E3", project=project, starts_at=at("2025-05-12T08:00:00"))
    e4 = factories.event(title="E4", project=project, starts_at=at("2025-06-01T08:00:00"))
    e5 = factories.event(title="E5", project=other, starts_at=at("2025-02-01T08:00:00"))
    a = person("Aino")
    take_part(e1, a, gender=Gender.WOMAN, labour_status=LabourStatus.LONG_TERM_UNEMPLOYED,
              birth_year=2000, education=Education.ISCED_0_2, rural=True,
              third_country_national=False)  # fmt: skip
    take_part(e2, a, gender=Gender.MAN, labour_status=LabourStatus.EMPLOYED, birth_year=1960,
              education=Education.ISCED_5_8, special={"disability": True})  # fmt: skip
    for n in range(1, 7):
        d = person(f"Dagny Dahl {n}")
        take_part(e1, d, gender=Gender.WOMAN if n <= 3 else Gender.MAN,
                  labour_status=LabourStatus.UNEMPLOYED, age_band=AgeBand.AGE_30_54,
                  special={"disability": True, "minority": n <= 4})  # fmt: skip
        take_part(e2, d, gender=Gender.NON_BINARY, special={"disability": False})
    walk_in(e1, "Ovensuu Olli")
    b = person("Bertta")
    take_part(e2, b, gender=Gender.NON_BINARY, labour_status=LabourStatus.IN_EDUCATION,
              age_band=AgeBand.UNDER_18, education=Education.ISCED_3_4, homeless=True,
              third_country_national=True)  # fmt: skip
    take_part(e3, b, gender=Gender.WOMAN)
    take_part(e4, person("Cecilia"), gender=Gender.WOMAN)
    take_part(e5, a, gender=Gender.WOMAN)
    for event in (e1, e2, e3, e5):
        close(event)
    db.session.flush()
    return project, other


EXPECTED = {
    "woman": 4, "man": 3, "non_binary": 1,
    "unemployed": 7, "long_term_unemployed": 1, "inactive": 1, "employed": 0,
    "under_18": 1, "18_29": 1, "55_plus": 0,
    "isced_0_2": 1, "isced_3_4": 1, "isced_5_8": 0,
    "disability": 6, "minority": None, "foreign_background": 0,
    "third_country_national": 1, "homeless": 1, "rural": 1,
}  # fmt: skip
MISSING = {
    "gender": 1, "labour": 1, "age": 1, "education": 7, "disability": 3, "minority": None,
    "foreign_background": 9, "third_country_national": 7, "homeless": 8, "rural": 8,
}  # fmt: skip


def test_each_participant_counts_once_with_the_first_participations_data(app):
    project, _other = annex_scenario()
    table = annex.annex_table((project.id,))
    assert table.participants == 9  # A, D1-D6, the walk-in, B; not C (E4 not held)
    assert {key: table.count(key) for key in EXPECTED} == EXPECTED
    assert {g.key: g.missing for g in table.groups} == MISSING


def test_a_period_counts_those_whose_first_participation_falls_in_it(app):
    project, _other = annex_scenario()
    from datetime import date

    april = annex.annex_table((project.id,), date(2025, 4, 1), date(2025, 4, 30))
    # A and D1-D6 took part in April too, but first came in March.
    assert april.participants == 1
    assert april.count("non_binary") == 1 and april.count("woman") == 0
    march = annex.annex_table((project.id,), date(2025, 3, 1), date(2025, 3, 31))
    may = annex.annex_table((project.id,), date(2025, 5, 1), date(2025, 5, 31))
    assert (march.participants, may.participants) == (8, 0)


def test_special_category_counts_under_five_are_never_shown(client):
    project, other = annex_scenario()
    factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[project])
    sign_in(client, "anne@example.fi")
    url = f"/organiser/indicators/projects/{project.id}/annex-i"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "fewer than 5" in html
    assert "Minorities (including marginalised communities such as the Roma)" in html
    rows = list(csv.reader(io.StringIO(client.get(f"{url}/export.csv").data.decode("utf-8-sig"))))
    by_label = {r[0]: r[1] for r in rows[1:]}
    assert by_label["Minorities (including marginalised communities such as the Roma)"] == (
        "fewer than 5"
    )
    assert by_label["Participants with disabilities"] == "6"
    assert by_label["Participants"] == "9"
    assert by_label["Gender: data missing"] == "1"
    # With the minority count hidden, its missing count (total - answered) is hidden too.
    assert (
        by_label["Minorities (including marginalised communities such as the Roma): data missing"]
        == "not shown"
    )
    assert by_label["Participants with disabilities: data missing"] == "3"
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}/export.xlsx").data))
    values = {r[0]: r[1] for r in book.active.iter_rows(min_row=2, values_only=True)}
    assert values["Minorities (including marginalised communities such as the Roma)"] == (
        "fewer than 5"
    )
    assert values["Participants with disabilities"] == 6
    # The drill-down gives counts by event, never people, and suppresses the same way.
    minority = client.get(f"{url}/rows/minority").get_data(as_text=True)
    assert "E1" in minority and "fewer than 5" in minority and "Dagny" not in minority
    woman = client.get(f"{url}/rows/woman").get_data(as_text=True)
    assert "Aino" not in woman and ">4<" in woman
    assert client.get(f"{url}/rows/nonsense").status_code == 404
    # Another project's table is not this manager's.
    assert client.get(f"/organiser/indicators/projects/{other.id}/annex-i").status_code == 404


def test_check_in_staff_never_see_the_table(client):
    project, _other = annex_scenario()
    factories.user(email="door@example.fi", role=Role.CHECKIN)
    sign_in(client, "door@example.fi")
    assert client.get(f"/organiser/indicators/projects/{project.id}/annex-i").status_code == 404


def test_drill_down_hides_a_second_count_when_one_hidden_count_could_be_worked_out(app):
    project, _other = annex_scenario()
    e6 = factories.event(title="E6", project=project, starts_at=at("2025-07-01T08:00:00"))
    for n in range(7):
        take_part(e6, person(f"F{n}"), special={"disability": True})
    close(e6)
    e7 = factories.event(title="E7", project=project, starts_at=at("2025-08-01T08:00:00"))
    take_part(e7, person("G"), special={"disability": True})
    close(e7)
    found = annex.drill_down((project.id,), "disability", None, None)
    # E1 6, E6 7, E7 1: E7 is hidden, and so is E1 (else 14 - 6 - 7 = 1 gives it away).
    e1_id = found.by_event[0][0]
    assert dict(found.by_event) == {e1_id: None, e6.id: 7, e7.id: None}
    assert found.total == 14


def test_anonymising_keeps_the_table(app):
    project, _other = annex_scenario()
    before = annex.annex_table((project.id,))
    project.ends_on = project.starts_on
    project.retention_days = 0
    retention.anonymise_expired()
    assert annex.annex_table((project.id,)) == before


# --- asking at signup -----------------------------------------------------------------------


def _open_event(**project_kw):
    project = factories.project(code="SIGN", **project_kw)
    event = factories.event(title="Koulutus", project=project, kind=EventKind.TRAINING)
    event.status = EventStatus.PUBLISHED
    db.session.commit()
    return event


def test_without_consent_the_questions_are_not_shown_and_nothing_is_stored(client):
    event = _open_event(collects_annex_i=True)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'name="annex_birth_year"' in page and 'name="special_consent"' in page
    assert 'name="special_disability"' not in page
    response = signup(
        client, event.id, annex_birth_year="1990", annex_education="isced_5_8",
        special_disability="yes", special_minority="yes", gender="woman",
    )  # fmt: skip
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(SpecialCategoryAnswer)) == 0
    answer = db.session.scalars(select(AnnexAnswer)).one()
    assert (answer.birth_year, answer.education) == (1990, Education.ISCED_5_8)


def test_with_consent_the_questions_appear_and_are_kept_apart(client):
    event = _open_event(collects_annex_i=True)
    # "Show these questions" with the consent ticked: the form comes back with them and
    # nothing is registered yet.
    shown = signup(client, event.id, special_consent="y", show_special="1")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and 'name="special_disability"' in html
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
    response = signup(
        client, event.id, special_consent="y", special_disability="yes",
        special_foreign_background="no",
    )  # fmt: skip
    assert response.status_code == 303
    registration = db.session.scalars(select(Registration)).one()
    special = db.session.get(SpecialCategoryAnswer, registration.id)
    assert (special.disability, special.foreign_background, special.minority) == (
        True,
        False,
        None,
    )


def test_consent_withdrawn_on_the_manage_page_deletes_the_answers(client, mailbox):
    from tests.helpers import manage_link

    event = _open_event(collects_annex_i=True)
    signup(client, event.id, special_consent="y", special_disability="yes")
    link = manage_link(mailbox.messages[-1])
    page = client.get(link).get_data(as_text=True)
    assert 'name="special_disability"' in page  # the person sees their own answer
    response = post_form(client, link, {"name": "Aino Korhonen", "special_disability": "yes"})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(SpecialCategoryAnswer)) == 0


def test_a_project_not_collecting_stores_nothing_even_if_posted(client):
    event = _open_event(collects_annex_i=False)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "special_consent" not in page and "annex_birth_year" not in page
    signup(client, event.id, annex_birth_year="1990", special_consent="y",
           special_disability="yes")  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(AnnexAnswer)) == 0
    assert db.session.scalar(select(func.count()).select_from(SpecialCategoryAnswer)) == 0


def test_organisers_add_form_never_asks_special_categories(client):
    event = _open_event(collects_annex_i=True)
    factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[event.project])
    db.session.commit()
    sign_in(client, "anne@example.fi")
    page = client.get(f"/organiser/events/{event.id}/registrations/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="annex_education"' in html and "special_" not in html


def test_a_manager_switches_annex_i_and_follow_ups_on(client):
    project = factories.project(code="SET", name="Asetukset")
    factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[project])
    db.session.commit()
    sign_in(client, "anne@example.fi")
    url = f"/organiser/indicators/projects/{project.id}/annex-i/settings"
    bad = post_form(client, url, {"collects_annex_i": "y", "followup_after_days": "0"})
    assert bad.status_code == 422 and "Please give a number from 1 to 365." in bad.get_data(
        as_text=True
    )
    assert not db.session.get(type(project), project.id).collects_annex_i
    ok = post_form(
        client, url,
        {"collects_annex_i": "y", "followup_items": ["job_searching", "employed"],
         "followup_after_days": "45"},
    )  # fmt: skip
    assert ok.status_code == 303
    saved = db.session.get(type(project), project.id)
    assert saved.collects_annex_i and saved.followup_after_days == 45
    assert saved.followup_items == ["employed", "job_searching"]
