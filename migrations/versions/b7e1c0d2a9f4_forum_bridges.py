"""forum bridges: a thread's support ticket; knowledge-base drafts promoted from community answers

Revision ID: b7e1c0d2a9f4
Revises: 731cd3c468ae
Create Date: 2026-11-23 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1c0d2a9f4'
down_revision = '731cd3c468ae'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_forum_threads_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_foreign_key('fk_forum_threads_ticket_id_tickets', 'tickets', ['ticket_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_thread_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('drafted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_kb_articles_source_thread_id'), ['source_thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kb_articles_drafted_by_id'), ['drafted_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kb_articles_published_by_id'), ['published_by_id'], unique=False)
        batch_op.create_foreign_key('fk_kb_articles_source_thread_id_forum_threads', 'forum_threads',
                                    ['source_thread_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_kb_articles_drafted_by_id_users', 'users', ['drafted_by_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key('fk_kb_articles_published_by_id_users', 'users', ['published_by_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.drop_constraint('fk_kb_articles_published_by_id_users', type_='foreignkey')
        batch_op.drop_constraint('fk_kb_articles_drafted_by_id_users', type_='foreignkey')
        batch_op.drop_constraint('fk_kb_articles_source_thread_id_forum_threads', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_kb_articles_published_by_id'))
        batch_op.drop_index(batch_op.f('ix_kb_articles_drafted_by_id'))
        batch_op.drop_index(batch_op.f('ix_kb_articles_source_thread_id'))
        batch_op.drop_column('published_at')
        batch_op.drop_column('published_by_id')
        batch_op.drop_column('drafted_by_id')
        batch_op.drop_column('source_thread_id')

    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.drop_constraint('fk_forum_threads_ticket_id_tickets', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_forum_threads_ticket_id'))
        batch_op.drop_column('ticket_id')
