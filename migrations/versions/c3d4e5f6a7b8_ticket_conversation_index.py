"""tickets.conversation_id indexed: every live customer message looks up its chat's open ticket

Revision ID: c3d4e5f6a7b8
Revises: b7e1c0d2a9f4
Create Date: 2026-12-01 23:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = 'b7e1c0d2a9f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_conversation_id'), ['conversation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_conversation_id'))
