"""pending registrations: the mailed link carries a random token, the request waits here

Revision ID: a7b8c9d0e1f2
Revises: f6a7b8c9d0e1
Create Date: 2026-12-05 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7b8c9d0e1f2'
down_revision = 'f6a7b8c9d0e1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_registrations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_pending_registrations_token_hash', 'pending_registrations', ['token_hash'], unique=True)
    op.create_index('ix_pending_registrations_email', 'pending_registrations', ['email'])


def downgrade():
    op.drop_index('ix_pending_registrations_email', table_name='pending_registrations')
    op.drop_index('ix_pending_registrations_token_hash', table_name='pending_registrations')
    op.drop_table('pending_registrations')
