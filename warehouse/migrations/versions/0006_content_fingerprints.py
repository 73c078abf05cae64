"""content fingerprints: a report version's fingerprint carries its scheme ("c1:" + sha256, 67 characters)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('report_versions') as batch:
        batch.alter_column('fingerprint', existing_type=sa.String(length=64), type_=sa.String(length=80),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('report_versions') as batch:
        batch.alter_column('fingerprint', existing_type=sa.String(length=80), type_=sa.String(length=64),
                           existing_nullable=False)
