"""SQLAlchemy 2 models of the warehouse: every submission version, its values, rejections, timeliness.

Schema changes go through Alembic (``warehouse/migrations``); these models are the migrations' target.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Province(Base):
    __tablename__ = "provinces"
    province_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(Text)
    framework: Mapped[str] = mapped_column(String(40))


class Consortium(Base):
    """The registry as of the latest run (the registry file stays the source; this is its copy)."""

    __tablename__ = "consortia"
    consortium_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    province: Mapped[str] = mapped_column(Text)
    city: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(16))
    recognized_year: Mapped[int] = mapped_column(Integer)
    dev_zone: Mapped[str] = mapped_column(Text)
    lead_schools: Mapped[str] = mapped_column(Text)
    lead_enterprises: Mapped[str] = mapped_column(Text)
    industry_codes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_year: Mapped[int | None] = mapped_column(Integer)


class IngestRun(Base):
    __tablename__ = "ingest_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    inbox: Mapped[str] = mapped_column(Text)
    pipeline_version: Mapped[str] = mapped_column(String(32))
    files_seen: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)


class SubmissionVersion(Base):
    """One accepted file. Its id is the ingest sequence; ``version`` counts per consortium × year × kind."""

    __tablename__ = "submission_versions"
    __table_args__ = (UniqueConstraint("consortium_id", "year", "kind", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consortium_id: Mapped[str] = mapped_column(String(32), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    submitted_on: Mapped[date] = mapped_column(Date)
    city_approved_on: Mapped[date | None] = mapped_column(Date)
    consortium_name: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # last data-quality run
    # Digest of what that validation read (the version, its consortium's registry row, last year's summary,
    # the rules): the same digest again means the stored findings stand (chanjiao.quality.checks.validation_digests).
    validated_digest: Mapped[str | None] = mapped_column(String(64))
    values: Mapped[list[SubmissionValue]] = relationship(back_populates="submission", cascade="all, delete-orphan")


class SubmissionValue(Base):
    """One field of a version: as typed (``raw``), as understood (``value``), or why it could not be read."""

    __tablename__ = "submission_values"
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id", ondelete="CASCADE"), primary_key=True)
    field_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    raw: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    problem: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    submission: Mapped[SubmissionVersion] = relationship(back_populates="values")


class Rejection(Base):
    """A file rejected by the latest run that saw it; it is retried on every run until accepted or removed."""

    __tablename__ = "rejections"
    file: Mapped[str] = mapped_column(Text, primary_key=True)
    inbox_year: Mapped[int | None] = mapped_column(Integer, index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(Text)  # as found in the file: an unknown code may be long
    reason: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"))


class Timeliness(Base):
    """Status per consortium × year × kind, as of the run that computed it."""

    __tablename__ = "timeliness"
    consortium_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    days_late: Mapped[int | None] = mapped_column(Integer)
    city_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    first_version: Mapped[int | None] = mapped_column(Integer)
    first_submitted_on: Mapped[date | None] = mapped_column(Date)
    latest_version: Mapped[int | None] = mapped_column(Integer)
    source_file: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Finding(Base):
    """One data-quality finding on one version, as the latest validation of that version found it.

    ``value`` and ``message`` are masked where they touch personal data; ``explanation`` is the file's
    说明 for the field. Replaced on every validation; reviewer overrides live apart (:class:`Override`).
    """

    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(8))
    veto: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text)
    fix: Mapped[str] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    involves: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)


class Override(Base):
    """A reviewer's acceptance of a warning: who, when, why. Kept for ever; it applies to the findings of
    the same consortium × year × kind × field × rule whose value seen is unchanged."""

    __tablename__ = "overrides"
    __table_args__ = (UniqueConstraint("consortium_id", "year", "kind", "field", "rule", "value"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consortium_id: Mapped[str] = mapped_column(String(32), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    field: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("submission_versions.id", ondelete="SET NULL"))


class Score(Base):
    """A consortium's total for a year, and everything needed to say how it was made: the framework (id,
    version, file digest), the versions scored, the exact total before rounding, plan completion, the
    adjustment mark and the shortlist decision with its reasons. Replaced when the province is re-scored."""

    __tablename__ = "scores"
    consortium_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(Text)
    framework_id: Mapped[str] = mapped_column(String(40))
    framework_version: Mapped[str] = mapped_column(String(40))
    framework_digest: Mapped[str] = mapped_column(String(64))
    summary_version_id: Mapped[int | None] = mapped_column(ForeignKey("submission_versions.id", ondelete="SET NULL"))
    plan_version_id: Mapped[int | None] = mapped_column(ForeignKey("submission_versions.id", ondelete="SET NULL"))
    weighted: Mapped[float] = mapped_column(Float)
    deductions: Mapped[float] = mapped_column(Float)
    exact_total: Mapped[str] = mapped_column(Text)  # the clamped total as an exact fraction
    total: Mapped[float] = mapped_column(Float)  # rounded half up to one decimal
    grade: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")  # "no summary"
    plan_completed: Mapped[bool] = mapped_column(Boolean)
    plan_targets: Mapped[int] = mapped_column(Integer)
    plan_targets_met: Mapped[int] = mapped_column(Integer)
    plan_milestones_planned: Mapped[int] = mapped_column(Integer)
    plan_milestones_achieved: Mapped[int] = mapped_column(Integer)
    plan_unmet: Mapped[str] = mapped_column(Text, default="")  # fields whose target was not met
    plan_pending: Mapped[str] = mapped_column(Text, default="")  # milestones planned, not achieved
    plan_reason: Mapped[str] = mapped_column(Text, default="")  # no plan / no summary / no targets
    previous_plan_completed: Mapped[bool | None] = mapped_column(Boolean)
    adjustment: Mapped[bool] = mapped_column(Boolean)
    shortlist_eligible: Mapped[bool] = mapped_column(Boolean)
    shortlisted: Mapped[bool] = mapped_column(Boolean)
    ineligible_because: Mapped[str] = mapped_column(Text, default="")
    as_of: Mapped[date] = mapped_column(Date)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pipeline_version: Mapped[str] = mapped_column(String(32))


class IndicatorScore(Base):
    """One indicator of one consortium and year: the mean of its points (a deduction: the points off)."""

    __tablename__ = "indicator_scores"
    consortium_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(16), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    name_zh: Mapped[str] = mapped_column(Text)
    weight: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    no_data: Mapped[bool] = mapped_column(Boolean)


class PointScore(Base):
    """One point of one consortium and year: method, inputs, score, and the basis in words (what value,
    which peers, which due date) so a reviewer can redo the number by hand."""

    __tablename__ = "point_scores"
    consortium_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    point: Mapped[str] = mapped_column(String(16), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    indicator: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(32))
    inputs: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    exact: Mapped[str] = mapped_column(Text)
    no_data: Mapped[bool] = mapped_column(Boolean)
    basis: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")


class ReportVersion(Base):
    """One published version of a report (consortium, province) or receipt: its fingerprint, the parts
    that name a revision's reason, and where its PDF is. Versions are never replaced, only added."""

    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("kind", "year", "subject", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # consortium | province | receipt
    year: Mapped[int] = mapped_column(Integer)
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    subject: Mapped[str] = mapped_column(String(80))  # consortium id, province code, receipt name
    version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(80))  # "c1:" + sha256 (migration 0006)
    parts: Mapped[str] = mapped_column(Text, default="{}")  # JSON: part → digest
    reasons: Mapped[str] = mapped_column(Text, default="")  # why this version was made (；-separated)
    path: Mapped[str] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rendered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pipeline_version: Mapped[str] = mapped_column(String(32))


class StageDigest(Base):
    """What a stage last read for one scope (a province's scoring, a province's reports): the same digest
    again means the stage's stored results stand and it can be skipped — a night with nothing new."""

    __tablename__ = "stage_digests"
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)  # score | reports
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)  # province code
    digest: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
