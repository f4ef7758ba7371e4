"""The participation certificate as a PDF: read back with pypdf, so the embedded font is
proven to carry the Latvian and Estonian letters, not just assumed to."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from eventhub.core.models import Attendance, EventKind, Person, Registration, RegistrationStatus
from eventhub.core.services import tokens, workshops
from eventhub.extensions import db
from tests import factories
from tests.helpers import sign_in
from tests.test_formats_workshops import series_with_sessions

NAME = "Līga Ozola-Šķēle"
ESTONIAN_VENUE = "Õpetajate maja, Pärnu mnt 14, Tõrva"


def register(event, person, locale="lv"):
    """A confirmed registration and its manage token."""
    token, token_hash = tokens.new_token()
    registration = Registration(
        event=event,
        person=person,
        status=RegistrationStatus.CONFIRMED,
        locale=locale,
        manage_token_hash=token_hash,
    )
    db.session.add(registration)
    db.session.flush()
    return registration, token


def attended(event, registration):
    db.session.add(
        Attendance(
            event_id=event.id, person_id=registration.person_id, registration_id=registration.id
        )
    )


def person(name, email):
    found = Person(name=name, email=email, email_normalised=email, locale="en")
    db.session.add(found)
    db.session.flush()
    return found


@pytest.fixture
def setting():
    """A series of three with a threshold of two: Līga attended two sessions (registered in
    Latvian), Eero one."""
    series, sessions = series_with_sessions(threshold=2, venue=ESTONIAN_VENUE)
    liga = person(NAME, "liga@example.lv")
    eero = person("Eero Mäkinen", "eero@example.fi")
    regs = [register(event, liga) for event in sessions]
    eero_reg, eero_token = register(sessions[0], eero, locale="fi")
    attended(sessions[0], regs[0][0])
    attended(sessions[2], regs[2][0])
    attended(sessions[0], eero_reg)
    db.session.commit()
    return {
        "series": series,
        "liga": liga,
        # Certificate links (read-only), from a session she did not attend: any will do.
        "liga_token": workshops.certificate_token(regs[1][0]),
        "liga_manage_token": regs[1][1],
        "eero": eero,
        "eero_token": workshops.certificate_token(eero_reg),
    }


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[ \t]+", " ", text)


def test_the_participant_downloads_the_pdf_in_the_language_of_the_registration(client, setting):
    token = setting["liga_token"]
    page = client.get(f"/workshops/certificate/{token}").get_data(as_text=True)
    assert f'href="/workshops/certificate/{token}.pdf"' in page

    # The reader's browser asks for English; the certificate is in Latvian all the same.
    response = client.get(f"/workshops/certificate/{token}.pdf", headers={"Accept-Language": "en"})
    text = pdf_text(response)
    assert NAME in text
    assert "Apkaimju darbnīcas" in text
    assert "ir piedalījies 2 darbnīcu sērijas nodarbībās" in text
    assert "Mēs darām kopā! – Gulbenes novada pašvaldība" in text
    assert "Apkaimju darbnīca 1" in text and "Apkaimju darbnīca 3" in text
    assert "Apkaimju darbnīca 2" not in text
    assert ESTONIAN_VENUE in text
    assert "DALĪBAS APLIECĪBA" in text

    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    filename = re.fullmatch(r'attachment; filename="([^"]+)"', disposition).group(1)
    assert filename.isascii() and filename.endswith(".pdf")
    assert filename == "certificate-apkaimju_darbnicas-liga_ozola-skele.pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert PdfReader(io.BytesIO(response.data)).metadata.title.endswith(NAME)


def test_no_pdf_below_the_threshold_or_without_a_valid_link(client, setting):
    # Eero attended one session of two: the HTML page says so, the PDF does not exist.
    html = client.get(f"/workshops/certificate/{setting['eero_token']}")
    assert "You have attended 1 session so far." in html.get_data(as_text=True)
    assert client.get(f"/workshops/certificate/{setting['eero_token']}.pdf").status_code == 404
    assert client.get("/workshops/certificate/not-a-token.pdf").status_code == 404

    # A manage link of an event outside any series has no certificate either.
    other = factories.event(title="Elsewhere", kind=EventKind.WORKSHOP)
    elsewhere, _manage_token = register(other, setting["liga"])
    db.session.commit()
    token = workshops.certificate_token(elsewhere)
    assert client.get(f"/workshops/certificate/{token}.pdf").status_code == 404


def test_the_certificate_address_is_not_the_manage_link(client, setting):
    """A certificate is shared; its address must not let anyone change the registration."""
    manage_token = setting["liga_manage_token"]
    assert client.get(f"/workshops/certificate/{manage_token}").status_code == 404
    manage_page = client.get(f"/manage/{manage_token}").get_data(as_text=True)
    assert f'href="/workshops/certificate/{setting["liga_token"]}"' in manage_page
    assert manage_token not in setting["liga_token"]


def test_the_organiser_downloads_it_in_the_registrant_language(app, client, setting):
    series, liga, eero = setting["series"], setting["liga"], setting["eero"]
    factories.user(projects=[series.project])
    factories.user("other@example.fi", projects=[factories.project()])
    db.session.commit()
    url = f"/workshops/organiser/series/{series.id}/certificates"

    assert client.get(f"{url}/{liga.id}.pdf").status_code == 302  # to the login page

    other = app.test_client()
    sign_in(other, "other@example.fi")
    assert other.get(f"{url}/{liga.id}.pdf").status_code == 404

    sign_in(client, "anne@example.fi")
    overview = client.get(f"/workshops/organiser/series/{series.id}").get_data(as_text=True)
    assert f'href="{url}/{liga.id}.pdf"' in overview
    assert f"{url}/{liga.id}.pdf" in client.get(f"{url}/{liga.id}").get_data(as_text=True)
    text = pdf_text(client.get(f"{url}/{liga.id}.pdf", headers={"Accept-Language": "fi"}))
    assert NAME in text and "ir piedalījies 2 darbnīcu sērijas nodarbībās" in text
    assert client.get(f"{url}/{eero.id}.pdf").status_code == 404
    assert client.get(f"{url}/999999.pdf").status_code == 404


@pytest.mark.parametrize(
    ("locale", "phrase"),
    [
        ("et", "on osalenud töötubade sarja 2 sessioonil"),
        ("fi", "työpajasarjan"),
        ("en", "has taken part in 2 sessions of the workshop series"),
    ],
)
def test_each_language_reads_back_intact(client, setting, locale, phrase):
    liga = setting["liga"]
    db.session.execute(
        db.update(Registration).where(Registration.person_id == liga.id).values(locale=locale)
    )
    db.session.commit()
    assert workshops.registrant_locale(setting["series"], liga) == locale
    text = pdf_text(client.get(f"/workshops/certificate/{setting['liga_token']}.pdf"))
    assert phrase in text and NAME in text and ESTONIAN_VENUE in text
