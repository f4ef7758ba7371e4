"""rights: participants' data requests, a project's legal reason to keep records from erasure

Revision ID: 0eeab3f8a917
Revises: a5e1c0b7d9f2
Create Date: 2026-11-26 04:27:12.119011

"""
from alembic import op
import sqlalchemy as sa

import eventhub.core.db


# revision identifiers, used by Alembic.
revision = '0eeab3f8a917'
down_revision = "a5e1c0b7d9f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('awaiting', 'open', 'erased', 'kept', 'expired', 'closed', name='data_request_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('created_at', eventhub.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', eventhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('erased_at', eventhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', eventhub.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('kept_reasons', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_data_request_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_request')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_data_request_token_hash'))
    )
    with op.batch_alter_table('data_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_request_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_data_request_status_created', ['status', 'created_at'], unique=False)

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erasure_hold', sa.Text(), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('erasure_hold')

    with op.batch_alter_table('data_request', schema=None) as batch_op:
        batch_op.drop_index('ix_data_request_status_created')
        batch_op.drop_index(batch_op.f('ix_data_request_person_id'))

    op.drop_table('data_request')
