"""login sessions: one row per sign-in, so signing out and changing the password end it

Revision ID: f6a7b8c9d0e1
Revises: d4e5f6a7b8c9
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f6a7b8c9d0e1'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_login_sessions_token_hash', 'login_sessions', ['token_hash'], unique=True)
    op.create_index('ix_login_sessions_user_id', 'login_sessions', ['user_id'])


def downgrade():
    op.drop_index('ix_login_sessions_user_id', table_name='login_sessions')
    op.drop_index('ix_login_sessions_token_hash', table_name='login_sessions')
    op.drop_table('login_sessions')
