"""The lease of each periodic job: when it is due next and which worker holds it now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from eventhub.core.db import UTCDateTime
from eventhub.extensions import db


class JobLease(db.Model):
    """One row per registered periodic job (``core/services/jobs.py``).

    A worker takes a due job with one atomic ``UPDATE ... WHERE next_run_at <= now AND
    (leased_until IS NULL OR leased_until < now)``: whichever worker's update changes the row
    runs the job, every other worker's changes nothing. Finishing moves ``next_run_at`` on
    and clears the lease; a worker killed mid-job leaves ``leased_until`` to pass, and the
    next worker to look takes the job again."""

    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    holder: Mapped[str | None] = mapped_column(String(200))
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_result: Mapped[str | None] = mapped_column(String(500))
