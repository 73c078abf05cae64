"""indicator scores, plan completion, adjustment and shortlist

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('indicator_scores',
    sa.Column('consortium_id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=16), nullable=False),
    sa.Column('province_code', sa.String(length=8), nullable=False),
    sa.Column('name_zh', sa.Text(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('no_data', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('consortium_id', 'year', 'indicator', name=op.f('pk_indicator_scores'))
    )
    with op.batch_alter_table('indicator_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_scores_province_code'), ['province_code'], unique=False)

    op.create_table('point_scores',
    sa.Column('consortium_id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('point', sa.String(length=16), nullable=False),
    sa.Column('province_code', sa.String(length=8), nullable=False),
    sa.Column('indicator', sa.String(length=16), nullable=False),
    sa.Column('name_zh', sa.Text(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('inputs', sa.Text(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('exact', sa.Text(), nullable=False),
    sa.Column('no_data', sa.Boolean(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('consortium_id', 'year', 'point', name=op.f('pk_point_scores'))
    )
    with op.batch_alter_table('point_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_scores_province_code'), ['province_code'], unique=False)

    op.create_table('scores',
    sa.Column('consortium_id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('framework_id', sa.String(length=40), nullable=False),
    sa.Column('framework_version', sa.String(length=40), nullable=False),
    sa.Column('framework_digest', sa.String(length=64), nullable=False),
    sa.Column('summary_version_id', sa.Integer(), nullable=True),
    sa.Column('plan_version_id', sa.Integer(), nullable=True),
    sa.Column('weighted', sa.Float(), nullable=False),
    sa.Column('deductions', sa.Float(), nullable=False),
    sa.Column('exact_total', sa.Text(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('grade', sa.String(length=16), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('plan_completed', sa.Boolean(), nullable=False),
    sa.Column('plan_targets', sa.Integer(), nullable=False),
    sa.Column('plan_targets_met', sa.Integer(), nullable=False),
    sa.Column('plan_milestones_planned', sa.Integer(), nullable=False),
    sa.Column('plan_milestones_achieved', sa.Integer(), nullable=False),
    sa.Column('plan_unmet', sa.Text(), nullable=False),
    sa.Column('plan_pending', sa.Text(), nullable=False),
    sa.Column('plan_reason', sa.Text(), nullable=False),
    sa.Column('previous_plan_completed', sa.Boolean(), nullable=True),
    sa.Column('adjustment', sa.Boolean(), nullable=False),
    sa.Column('shortlist_eligible', sa.Boolean(), nullable=False),
    sa.Column('shortlisted', sa.Boolean(), nullable=False),
    sa.Column('ineligible_because', sa.Text(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pipeline_version', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['plan_version_id'], ['submission_versions.id'], name=op.f('fk_scores_plan_version_id_submission_versions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['summary_version_id'], ['submission_versions.id'], name=op.f('fk_scores_summary_version_id_submission_versions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('consortium_id', 'year', name=op.f('pk_scores'))
    )
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scores_province_code'), ['province_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scores_province_code'))

    op.drop_table('scores')
    with op.batch_alter_table('point_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_scores_province_code'))

    op.drop_table('point_scores')
    with op.batch_alter_table('indicator_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_scores_province_code'))

    op.drop_table('indicator_scores')
