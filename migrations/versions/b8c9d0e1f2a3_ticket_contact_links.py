"""ticket contact at handoff: when a visitor answered the email question, and the mailed links
(a random token's hash) that open one ticket from any browser

Revision ID: b8c9d0e1f2a3
Revises: a7b8c9d0e1f2
Create Date: 2026-12-05 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8c9d0e1f2a3'
down_revision = 'a7b8c9d0e1f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('contact_answered_at', sa.DateTime(), nullable=True))
    op.create_table(
        'ticket_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_ticket_links_ticket_id', 'ticket_links', ['ticket_id'])
    op.create_index('ix_ticket_links_expires_at', 'ticket_links', ['expires_at'])


def downgrade():
    op.drop_index('ix_ticket_links_expires_at', table_name='ticket_links')
    op.drop_index('ix_ticket_links_ticket_id', table_name='ticket_links')
    op.drop_table('ticket_links')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('contact_answered_at')
