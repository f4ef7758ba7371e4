"""seat counter on the event, kept equal to the registrations that hold places; mail
queued unrendered; the places' revision; stored feed bodies

Revision ID: b1c2d3e4f5a6
Revises: 0eeab3f8a917
Create Date: 2026-11-26 04:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b1c2d3e4f5a6"
down_revision = "0eeab3f8a917"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_revision",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_revision")),
    )
    op.create_table(
        "calendar_feed_body",
        sa.Column("feed_key", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("feed_key", name=op.f("pk_calendar_feed_body")),
    )
    # Columns only (no constraint): SQLite adds them in place. A constraint would make the
    # batch copy the table and drop the old one, whose foreign keys cascade: the
    # registrations would go with it.
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("places_taken", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("queue_last", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("render", sa.JSON(), nullable=True))
    # The counters from the rows as they stand: confirmed and pending registrations hold a
    # place (services.capacity.PLACE_HOLDING); the queue goes on after its last number.
    op.execute(
        """
        UPDATE event SET
          places_taken = (SELECT count(*) FROM registration r
                          WHERE r.event_id = event.id AND r.status IN ('confirmed', 'pending')),
          queue_last = (SELECT coalesce(max(r.queue_no), 0) FROM registration r
                        WHERE r.event_id = event.id)
        """
    )


def downgrade():
    op.drop_table("calendar_feed_body")
    op.drop_table("data_revision")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("render")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("queue_last")
        batch_op.drop_column("places_taken")
