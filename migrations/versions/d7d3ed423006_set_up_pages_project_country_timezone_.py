"""set-up pages: project country, timezone and language, places, invitations

Revision ID: d7d3ed423006
Revises: aaeb5aec2254
Create Date: 2026-11-26 01:15:59.756036

"""
from alembic import op
import sqlalchemy as sa

import eventhub.core.db


# revision identifiers, used by Alembic.
revision = 'd7d3ed423006'
down_revision = 'aaeb5aec2254'
branch_labels = None
depends_on = None


# Existing projects take their country from the municipalities they work in, and the
# timezone that goes with it.
BACKFILL_COUNTRY = """
UPDATE project SET country = (
    SELECT MIN(m.country) FROM project_municipality AS pm
    JOIN municipality AS m ON m.id = pm.municipality_id
    WHERE pm.project_id = project.id
)
"""
BACKFILL_TIMEZONE = """
UPDATE project SET timezone = CASE country
    WHEN 'LV' THEN 'Europe/Riga' WHEN 'EE' THEN 'Europe/Tallinn' ELSE 'Europe/Helsinki' END
"""


def upgrade():
    op.create_table('place',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_place_municipality_id_municipality'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place')),
    sa.UniqueConstraint('municipality_id', 'name', name=op.f('uq_place_municipality_id_name'))
    )
    with op.batch_alter_table('place', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_place_municipality_id'), ['municipality_id'], unique=False)

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attendance_place_id_place'), 'place', ['place_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.Enum('FI', 'LV', 'EE', name='country', native_enum=False, create_constraint=True, length=32), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='Europe/Helsinki', nullable=False))
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='fi', nullable=False))
        batch_op.add_column(sa.Column('planned_organisations', sa.Integer(), nullable=True))

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_registration_place_id_place'), 'place', ['place_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited_at', eventhub.core.db.UTCDateTime(timezone=True), nullable=True))

    op.execute(BACKFILL_COUNTRY)
    op.execute(BACKFILL_TIMEZONE)


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('invited_at')

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_registration_place_id_place'), type_='foreignkey')
        batch_op.drop_column('place_id')

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('planned_organisations')
        batch_op.drop_column('language')
        batch_op.drop_column('timezone')
        # The enum's CHECK names the column: on SQLite the table is rebuilt with it otherwise.
        batch_op.drop_constraint(op.f('ck_project_country'), type_='check')
        batch_op.drop_column('country')

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attendance_place_id_place'), type_='foreignkey')
        batch_op.drop_column('place_id')

    with op.batch_alter_table('place', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_place_municipality_id'))

    op.drop_table('place')
