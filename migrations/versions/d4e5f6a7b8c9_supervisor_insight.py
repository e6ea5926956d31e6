"""supervisor insight: a conversation's channel, and the indexes the dashboard's figures read

chat_conversations.channel is how the case reached us: chat (the widget), forum (a community
thread an agent took to support) or message (left for the team to answer later). Existing
conversations take it from their first ticket's reason.

It also joins the two heads it found (the role-play trainer and conversation satisfaction),
so `flask db upgrade` has one head again.

Revision ID: d4e5f6a7b8c9
Revises: 058fe5db4d56, e5f6a7b8c9d0
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e5f6a7b8c9'
down_revision = ('058fe5db4d56', 'e5f6a7b8c9d0')
branch_labels = None
depends_on = None

SCORED_CUSTOMER_MESSAGE = "sender = 'customer' AND frustration_score IS NOT NULL"
FIRST_TICKET_REASON = """
    UPDATE chat_conversations SET channel = :channel
    WHERE id IN (SELECT t.conversation_id FROM tickets t
                 WHERE t.reason = :reason
                   AND t.id = (SELECT min(t2.id) FROM tickets t2 WHERE t2.conversation_id = t.conversation_id))
"""


def upgrade():
    with op.batch_alter_table('chat_conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), server_default='chat', nullable=False))
        batch_op.create_index(batch_op.f('ix_chat_conversations_created_at'), ['created_at'], unique=False)
    for channel, reason in (('forum', 'forum_thread'), ('message', 'left_message')):
        op.execute(sa.text(FIRST_TICKET_REASON).bindparams(channel=channel, reason=reason))

    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.create_index('ix_chat_messages_scored', ['conversation_id', 'id'], unique=False,
                              postgresql_include=['frustration_score', 'frustration_level'],
                              postgresql_where=sa.text(SCORED_CUSTOMER_MESSAGE),
                              sqlite_where=sa.text(SCORED_CUSTOMER_MESSAGE))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_tickets_customer_id_created_at', ['customer_id', 'created_at'], unique=False)

    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_kind_ticket_id_created_at', ['kind', 'ticket_id', 'created_at'],
                              unique=False)

    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_threads_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_threads_created_at'))

    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_kind_ticket_id_created_at')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_customer_id_created_at')
        batch_op.drop_index(batch_op.f('ix_tickets_created_at'))

    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_messages_scored')

    with op.batch_alter_table('chat_conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_conversations_created_at'))
        batch_op.drop_column('channel')
