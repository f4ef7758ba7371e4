"""companions in one signup (registration.lead_id, event.max_companions and
groups_may_split) and whole-series enrolment (series_enrolment)

Revision ID: 29229996b827
Revises: 5b1e0c2a9f47
Create Date: 2026-11-26 04:22:52.179278

"""

from alembic import op
import sqlalchemy as sa

import eventhub.core.db


# revision identifiers, used by Alembic.
revision = "29229996b827"
down_revision = "5b1e0c2a9f47"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "series_enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("source_registration_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("cancelled_at", eventhub.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", eventhub.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", eventhub.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_series_enrolment_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["workshop_series.id"],
            name=op.f("fk_series_enrolment_series_id_workshop_series"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_registration_id"],
            ["registration.id"],
            name=op.f("fk_series_enrolment_source_registration_id_registration"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_enrolment")),
        sa.UniqueConstraint(
            "series_id", "person_id", name=op.f("uq_series_enrolment_series_id_person_id")
        ),
    )
    with op.batch_alter_table("series_enrolment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_series_enrolment_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_series_enrolment_series_id"), ["series_id"], unique=False
        )

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("max_companions", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("groups_may_split", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_event_max_companions_not_negative"), "max_companions >= 0"
        )

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_registration_lead_id"), ["lead_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_registration_lead_id_registration"),
            "registration",
            ["lead_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_registration_lead_id_registration"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_registration_lead_id"))
        batch_op.drop_column("lead_id")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_event_max_companions_not_negative"), type_="check")
        batch_op.drop_column("groups_may_split")
        batch_op.drop_column("max_companions")

    with op.batch_alter_table("series_enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_enrolment_series_id"))
        batch_op.drop_index(batch_op.f("ix_series_enrolment_person_id"))

    op.drop_table("series_enrolment")
