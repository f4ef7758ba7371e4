"""questions asked of each companion too (event_question.for_companions)

Revision ID: c7a1e9d2b4f3
Revises: fec1af03c9a0
Create Date: 2026-11-26 05:15:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c7a1e9d2b4f3"
down_revision = "fec1af03c9a0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event_question", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("for_companions", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("event_question", schema=None) as batch_op:
        batch_op.drop_column("for_companions")
