"""Rules the models own."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from eventhub.core.models import (
    Event,
    Person,
    Registration,
    RegistrationStatus,
    normalise_email,
)
from eventhub.core.services.tokens import hash_token, new_token
from eventhub.extensions import db
from tests import factories
from tests.dates import YEAR


def test_email_is_normalised_for_deduplication():
    assert normalise_email("  Aino.Korhonen+talkoot@Example.FI ") == (
        "aino.korhonen+talkoot@example.fi"
    )


def test_times_are_stored_in_utc_and_come_back_aware(app):
    eastern = timezone(timedelta(hours=3))
    event = factories.event(starts_at=datetime(YEAR, 6, 1, 12, 0, tzinfo=eastern))
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Event, event.id)
    assert loaded.starts_at == datetime(YEAR, 6, 1, 9, 0, tzinfo=UTC)
    assert loaded.starts_at.tzinfo is not None
    assert loaded.local_start.hour == 12  # Europe/Helsinki summer time


def test_naive_datetimes_are_refused(app):
    with pytest.raises(StatementError):
        factories.event(starts_at=datetime(YEAR, 6, 1, 12, 0))
    db.session.rollback()


def test_event_must_end_after_it_starts(app):
    with pytest.raises(IntegrityError):
        factories.event(hours=-1)
    db.session.rollback()


def test_event_uid_is_unique_and_stable(app):
    a, b = factories.event(), factories.event()
    db.session.commit()
    uid = a.uid
    a.title = "Renamed"
    db.session.commit()
    assert a.uid == uid and a.uid != b.uid and uid.endswith("@eventhub")


def test_one_registration_per_person_per_event(app):
    event = factories.event()
    person = Person(email="a@example.org", email_normalised="a@example.org", name="A")
    db.session.add(person)
    for _ in range(2):
        db.session.add(
            Registration(
                event=event,
                person=person,
                status=RegistrationStatus.CONFIRMED,
                manage_token_hash=new_token()[1],
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_people_are_unique_by_normalised_email(app):
    db.session.add(Person(email="A@x.org", email_normalised="a@x.org", name="A"))
    db.session.add(Person(email="a@x.org", email_normalised="a@x.org", name="A again"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalars(select(Person)).all() == []


def test_tokens_have_256_bits_and_only_the_hash_is_kept():
    token, stored = new_token()
    assert len(token) >= 43  # 32 bytes in URL-safe base64
    assert stored == hash_token(token) and token not in stored
    assert new_token()[0] != token
