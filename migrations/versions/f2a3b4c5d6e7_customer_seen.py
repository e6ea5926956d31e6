"""customer seen: when the customer last followed a chat, and when a live reply was last mailed

Revision ID: f2a3b4c5d6e7
Revises: e1f2a3b4c5d6
Create Date: 2026-12-05 04:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2a3b4c5d6e7'
down_revision = 'e1f2a3b4c5d6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('chat_conversations') as batch_op:
        batch_op.add_column(sa.Column('customer_seen_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reply_mailed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('chat_conversations') as batch_op:
        batch_op.drop_column('reply_mailed_at')
        batch_op.drop_column('customer_seen_at')
