"""article read counts: the chat widget suggests the most-read articles

Revision ID: d0e1f2a3b4c5
Revises: c9d0e1f2a3b4
Create Date: 2026-12-05 03:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd0e1f2a3b4c5'
down_revision = 'c9d0e1f2a3b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('kb_articles') as batch:
        batch.add_column(sa.Column('read_count', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('kb_articles') as batch:
        batch.drop_column('read_count')
