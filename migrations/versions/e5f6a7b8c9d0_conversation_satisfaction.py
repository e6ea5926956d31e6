"""conversation satisfaction: the rating, its comment, the path it rates (bot or agent), when asked and given

Revision ID: e5f6a7b8c9d0
Revises: c3d4e5f6a7b8
Create Date: 2026-12-04 21:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f6a7b8c9d0'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None

# Ratings given before this revision were stored on tickets only, always after a person
# resolved: they become the agent path's ratings of their conversations.
RATED_TICKET = ("FROM tickets t WHERE t.conversation_id = chat_conversations.id "
                "AND t.satisfaction_rating IS NOT NULL")
BACKFILL = f"""
UPDATE chat_conversations SET
    satisfaction_rating = (SELECT t.satisfaction_rating {RATED_TICKET} ORDER BY t.id DESC LIMIT 1),
    satisfaction_comment = COALESCE((SELECT t.satisfaction_comment {RATED_TICKET} ORDER BY t.id DESC LIMIT 1), ''),
    satisfaction_path = 'agent',
    rated_at = COALESCE(
        (SELECT max(e.created_at) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
         WHERE t.conversation_id = chat_conversations.id AND e.kind = 'rated'),
        (SELECT max(t.updated_at) {RATED_TICKET})),
    rating_asked_at = COALESCE(
        (SELECT max(t.resolved_at) {RATED_TICKET}),
        (SELECT max(t.updated_at) {RATED_TICKET}))
WHERE EXISTS (SELECT 1 {RATED_TICKET})
"""


def upgrade():
    with op.batch_alter_table('chat_conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('satisfaction_rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_comment', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('satisfaction_path', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('rating_asked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('rated_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_chat_conversations_rated_at'), ['rated_at'], unique=False)
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('chat_conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_conversations_rated_at'))
        batch_op.drop_column('rated_at')
        batch_op.drop_column('rating_asked_at')
        batch_op.drop_column('satisfaction_path')
        batch_op.drop_column('satisfaction_comment')
        batch_op.drop_column('satisfaction_rating')
