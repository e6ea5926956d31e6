"""agent availability: the status an agent chooses in the console (available, away, offline)

Revision ID: e1f2a3b4c5d6
Revises: d0e1f2a3b4c5
Create Date: 2026-12-05 03:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1f2a3b4c5d6'
down_revision = 'd0e1f2a3b4c5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agent_presence') as batch_op:
        batch_op.add_column(sa.Column('availability', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('agent_presence') as batch_op:
        batch_op.drop_column('availability')
