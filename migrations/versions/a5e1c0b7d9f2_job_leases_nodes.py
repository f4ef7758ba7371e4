"""job leases: periodic jobs run once per due time across every worker

Revision ID: a5e1c0b7d9f2
Revises: 29229996b827
Create Date: 2026-11-26 04:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import eventhub.core.db


# revision identifiers, used by Alembic.
revision = 'a5e1c0b7d9f2'
down_revision = "29229996b827"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_lease',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('next_run_at', eventhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('leased_until', eventhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('last_started_at', eventhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', eventhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_lease'))
    )


def downgrade():
    op.drop_table('job_lease')
