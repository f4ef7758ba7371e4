"""Each process caches the municipalities and places its forms offer, per revision of the
places: a change shows at once in the process that made it and within
REVISION_CHECK_SECONDS in every other."""

from __future__ import annotations

import time

from eventhub import create_app
from eventhub.core.models import Country, Municipality
from eventhub.core.services import places
from eventhub.extensions import db
from tests import factories


def _page(app, event_id: int) -> str:
    with app.app_context():
        return app.test_client().get(f"/events/{event_id}").get_data(as_text=True)


def test_a_change_of_places_shows_at_once_here_and_within_seconds_elsewhere(
    app, database_url, monkeypatch
):
    monkeypatch.setattr(places, "REVISION_CHECK_SECONDS", 1.0)
    user = factories.user()
    factories.municipality("Joensuu")
    event = factories.event(municipality_id=factories.municipality("Kitee").id)
    db.session.commit()
    other = create_app({"DATABASE_URL": database_url}, testing=True)  # another process
    assert "Liperi" not in _page(app, event.id)
    assert "Liperi" not in _page(other, event.id)  # both have cached Finland's list

    places.add_municipality(user, country=Country.FI, name="Liperi", region="Pohjois-Karjala")
    db.session.commit()
    # This process raised the revision: its next page shows the new municipality.
    assert "Liperi" in _page(app, event.id)
    time.sleep(1.1)
    assert "Liperi" in _page(other, event.id)

    kitee = db.session.query(Municipality).filter_by(name="Kitee").one()
    places.add_places(user, kitee, ["Puhos"])
    db.session.commit()
    assert "Puhos" in _page(app, event.id)
    places.rename_place(user, kitee.places[0], "Puhoksen kylä")
    db.session.commit()
    page = _page(app, event.id)
    assert "Puhoksen kylä" in page and "Puhos (Kitee)" not in page
    with other.app_context():
        db.engine.dispose()
