"""conditional questions and translated question texts

Revision ID: 5b1e0c2a9f47
Revises: d7d3ed423006
Create Date: 2026-11-26 04:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e0c2a9f47'
down_revision = 'd7d3ed423006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('condition_question_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('condition_answers', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('translations', sa.JSON(), server_default='{}', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_event_question_condition_question_id_event_question'), 'event_question', ['condition_question_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('event_question', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_question_condition_question_id_event_question'), type_='foreignkey')
        batch_op.drop_column('translations')
        batch_op.drop_column('condition_answers')
        batch_op.drop_column('condition_question_id')
