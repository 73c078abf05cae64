"""initial warehouse schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 16:52:10.875068
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consortia',
    sa.Column('consortium_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('province_code', sa.String(length=8), nullable=False),
    sa.Column('province', sa.Text(), nullable=False),
    sa.Column('city', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('recognized_year', sa.Integer(), nullable=False),
    sa.Column('dev_zone', sa.Text(), nullable=False),
    sa.Column('lead_schools', sa.Text(), nullable=False),
    sa.Column('lead_enterprises', sa.Text(), nullable=False),
    sa.Column('industry_codes', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_year', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('consortium_id', name=op.f('pk_consortia'))
    )
    with op.batch_alter_table('consortia', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consortia_province_code'), ['province_code'], unique=False)

    op.create_table('ingest_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('inbox', sa.Text(), nullable=False),
    sa.Column('pipeline_version', sa.String(length=32), nullable=False),
    sa.Column('files_seen', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_runs'))
    )
    op.create_table('provinces',
    sa.Column('province_code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('department', sa.Text(), nullable=False),
    sa.Column('framework', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('province_code', name=op.f('pk_provinces'))
    )
    op.create_table('timeliness',
    sa.Column('consortium_id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('province_code', sa.String(length=8), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('days_late', sa.Integer(), nullable=True),
    sa.Column('city_approved', sa.Boolean(), nullable=False),
    sa.Column('first_version', sa.Integer(), nullable=True),
    sa.Column('first_submitted_on', sa.Date(), nullable=True),
    sa.Column('latest_version', sa.Integer(), nullable=True),
    sa.Column('source_file', sa.Text(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consortium_id', 'year', 'kind', name=op.f('pk_timeliness'))
    )
    with op.batch_alter_table('timeliness', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeliness_province_code'), ['province_code'], unique=False)

    op.create_table('rejections',
    sa.Column('file', sa.Text(), nullable=False),
    sa.Column('inbox_year', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('field', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_runs.id'], name=op.f('fk_rejections_run_id_ingest_runs')),
    sa.PrimaryKeyConstraint('file', name=op.f('pk_rejections'))
    )
    with op.batch_alter_table('rejections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rejections_inbox_year'), ['inbox_year'], unique=False)

    op.create_table('submission_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('consortium_id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('city_approved_on', sa.Date(), nullable=True),
    sa.Column('consortium_name', sa.Text(), nullable=True),
    sa.Column('source_file', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_runs.id'], name=op.f('fk_submission_versions_run_id_ingest_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_versions')),
    sa.UniqueConstraint('consortium_id', 'year', 'kind', 'version', name=op.f('uq_submission_versions_consortium_id_year_kind_version')),
    sa.UniqueConstraint('sha256', name=op.f('uq_submission_versions_sha256'))
    )
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_versions_consortium_id'), ['consortium_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_versions_year'), ['year'], unique=False)

    op.create_table('submission_values',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('field_code', sa.String(length=64), nullable=False),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['submission_versions.id'], name=op.f('fk_submission_values_version_id_submission_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'field_code', name=op.f('pk_submission_values'))
    )


def downgrade() -> None:
    op.drop_table('submission_values')
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_versions_year'))
        batch_op.drop_index(batch_op.f('ix_submission_versions_consortium_id'))

    op.drop_table('submission_versions')
    with op.batch_alter_table('rejections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rejections_inbox_year'))

    op.drop_table('rejections')
    with op.batch_alter_table('timeliness', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeliness_province_code'))

    op.drop_table('timeliness')
    op.drop_table('provinces')
    op.drop_table('ingest_runs')
    with op.batch_alter_table('consortia', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consortia_province_code'))

    op.drop_table('consortia')
