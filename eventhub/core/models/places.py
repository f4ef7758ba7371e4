"""Where things happen and who takes part on whose behalf."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.models.base import Country, Timestamps, str_enum
from eventhub.extensions import db


class DataRevision(db.Model):
    """A revision number of reference data that processes cache (``name``: "places"), raised
    by the service that changes the data, so every process sees that its copy is old."""

    __tablename__ = "data_revision"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Municipality(db.Model):
    """A municipality (kunta, novads, vald) with its region (maakunta, reģions, maakond)."""

    __tablename__ = "municipality"
    __table_args__ = (UniqueConstraint("country", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(120))
    country: Mapped[Country] = mapped_column(str_enum(Country, "country"))

    places: Mapped[list[Place]] = relationship(
        back_populates="municipality", order_by="Place.name", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Municipality {self.name} ({self.country})>"


class Place(db.Model):
    """A place below a municipality that a project reports by: a parish (pagasts) of a Latvian
    novads, a village of a Finnish kunta. Optional: most projects report by municipality."""

    __tablename__ = "place"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))

    municipality: Mapped[Municipality] = relationship(back_populates="places")

    def __repr__(self) -> str:
        return f"<Place {self.name}>"


class Organisation(Timestamps, db.Model):
    """An association, company or public body people attend on behalf of.

    Names typed into a signup form create an unconfirmed organisation that an organiser
    confirms or merges; only the organiser sees unconfirmed ones.
    """

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    business_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    confirmed: Mapped[bool] = mapped_column(default=True)

    municipality: Mapped[Municipality | None] = relationship()

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"
