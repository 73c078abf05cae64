"""The warehouse's data API: the only place that speaks SQL. Switching SQLite → PostgreSQL is a URL.

Callers get and give core types (``Submission``, ``FieldValue``) or the small records below, never ORM
objects, so nothing outside this package holds a session.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import pandas as pd
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from chanjiao import __version__
from chanjiao.common.errors import ConfigurationError, NotFoundError, WarehouseUnavailable
from chanjiao.common.values import is_missing
from chanjiao.intake.ingest import FieldValue, Submission
from chanjiao.intake.normalize import to_storage
from chanjiao.quality.checks import Override as OverrideRecord
from chanjiao.reporting.versions import Published
from warehouse.locks import run_lock
from warehouse.models import (
    Consortium,
    Finding,
    IndicatorScore,
    IngestRun,
    Override,
    PointScore,
    Province,
    Rejection,
    ReportVersion,
    Score,
    StageDigest,
    SubmissionValue,
    SubmissionVersion,
    Timeliness,
)

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# SQLSTATE classes of an outage rather than a mistake: connection exceptions (08), the server shutting down
# or restarting (57P01-57P03, a fail-over), too many connections (53300), and a serialization failure or
# deadlock (40001, 40P01) that succeeds when tried again.
_TRANSIENT_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300", "40001", "40P01")
# Words of a driver's message when it has no SQLSTATE: the server could not be reached or went away.
_OUTAGE_WORDS = (
    "connection refused",
    "could not connect",
    "connection timed out",
    "timeout expired",
    "server closed the connection",
    "connection is closed",
    "terminating connection",
    "the database system is starting up",
    "the database system is shutting down",
    "no route to host",
    "network is unreachable",
    "database is locked",
)


def is_connection_error(exc: BaseException) -> bool:
    """Whether a database error is an outage that may pass (a fail-over, a dropped connection, a busy
    SQLite file) rather than a mistake that will not (a wrong password, a missing table, a bad query)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if state:
        return str(state).startswith(_TRANSIENT_SQLSTATES)
    message = str(exc.orig).lower()
    return isinstance(exc, OperationalError) and any(words in message for words in _OUTAGE_WORDS)


# One engine per database per process: a run's tasks open the warehouse dozens of times, and each open reuses
# the engine (its pooled connections) and the schema check of the first. A process uses one database; a few
# are kept (the test suite opens hundreds, one by one), the least recently opened disposed first; every one
# is disposed at exit.
_ENGINES_KEPT = 4
_engines: OrderedDict[str, Engine] = OrderedDict()
_at_head_urls: set[str] = set()  # databases whose schema this process has found (or brought) at head
_engines_lock = threading.Lock()


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (``sqlite:///path``), or None (another database, or one in memory)."""
    name = url.removeprefix("sqlite:///").split("?", 1)[0] if url.startswith("sqlite:///") else ""
    return Path(name) if name and name != ":memory:" else None


def _engine(url: str) -> Engine:
    """The process's engine for ``url``: made on first use, then kept (see ``_ENGINES_KEPT``)."""
    with _engines_lock:
        engine = _engines.get(url)
        file = _sqlite_file(url)
        if engine is not None and file is not None and not file.exists():  # deleted since: start afresh
            _forget(url)
            engine = None
        if engine is not None:
            _engines.move_to_end(url)
            return engine
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except Exception as exc:  # a malformed URL or a missing driver
            raise ConfigurationError(f"cannot use the database URL ({type(exc).__name__}: {exc})") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        _engines[url] = engine
        while len(_engines) > _ENGINES_KEPT:
            _forget(next(iter(_engines)))
        return engine


def _forget(url: str) -> None:
    """Dispose of the kept engine of ``url`` (its idle connections close; handles still open on it go on working
    with fresh connections). The caller holds ``_engines_lock``."""
    _at_head_urls.discard(url)
    engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


@atexit.register
def dispose_engines() -> None:
    """Close the pooled connections of every engine this process keeps (at exit; or to let go of the databases)."""
    with _engines_lock:
        for url in list(_engines):
            _forget(url)


@lru_cache(maxsize=1)
def _head() -> str:
    """The newest migration's revision."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


@dataclass(frozen=True)
class VersionRecord:
    id: int  # the ingest sequence
    consortium_id: str
    year: int
    kind: str
    version: int
    submitted_on: date
    city_approved_on: date | None
    consortium_name: str | None
    source_file: str
    sha256: str
    ingested_at: datetime
    withdrawn: bool
    withdrawn_reason: str | None
    validated_at: datetime | None = None
    validated_digest: str | None = None

    @property
    def ingest_seq(self) -> int:
        return self.id


@dataclass(frozen=True)
class RejectionRecord:
    file: str
    inbox_year: int | None
    sha256: str
    field: str
    reason: str
    first_seen_at: datetime
    last_seen_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _version_record(row: SubmissionVersion) -> VersionRecord:
    return VersionRecord(
        id=row.id,
        consortium_id=row.consortium_id,
        year=row.year,
        kind=row.kind,
        version=row.version,
        submitted_on=row.submitted_on,
        city_approved_on=row.city_approved_on,
        consortium_name=row.consortium_name,
        source_file=row.source_file,
        sha256=row.sha256,
        ingested_at=row.ingested_at,
        withdrawn=row.withdrawn,
        withdrawn_reason=row.withdrawn_reason,
        validated_at=row.validated_at,
        validated_digest=row.validated_digest,
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class Warehouse:
    """A handle on one warehouse database; :meth:`open` migrates it to the current schema first. A context
    manager: ``with Warehouse.open(url) as warehouse: …``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Warehouse:
        """A handle on the database at ``url``, on the process's engine for it (opening is cheap); the first
        open that ``migrate``s brings the schema to the current one."""
        warehouse = cls(_engine(url))
        if migrate and url not in _at_head_urls:
            if not warehouse._at_head():
                warehouse.migrate()
            _at_head_urls.add(url)
        return warehouse

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _at_head(self) -> bool:
        """Whether the schema is at Alembic's head already: one query instead of Alembic's full check (a run's
        tasks open the warehouse dozens of times)."""
        try:
            with self.engine.connect() as connection:
                return connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head()
        except Exception:  # no such table yet, or no database: let migrate() say what is wrong
            return False

    def migrate(self) -> None:
        """Bring the schema to Alembic's head (idempotent)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except OperationalError as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            error = WarehouseUnavailable if is_connection_error(exc) else ConfigurationError
            raise error(
                f"cannot reach the warehouse database {where}: {str(exc.orig).strip().splitlines()[0]}"
            ) from None

    def close(self) -> None:
        """Done with this handle. Its engine stays with the process for the next open of the same database;
        it is disposed at exit (:func:`dispose_engines`)."""

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # --- registry ---------------------------------------------------------------------------------

    def sync_registry(self, consortia: Iterable[dict] | pd.DataFrame, provinces: Iterable[dict] | pd.DataFrame) -> None:
        """Make the warehouse's copy of the registry and provinces match the files (upsert by key)."""
        with self.session() as session:
            for row in _records(provinces):
                session.merge(
                    Province(
                        province_code=row["province_code"],
                        name=row["province"],
                        department=row["department"],
                        framework=row["framework"],
                    )
                )
            for row in _records(consortia):
                session.merge(Consortium(**{column: row[column] for column in Consortium.__table__.columns.keys()}))

    def consortium_names(self) -> dict[str, str]:
        with self.session() as session:
            return dict(session.execute(select(Consortium.consortium_id, Consortium.name)).all())

    # --- ingest -----------------------------------------------------------------------------------

    def start_run(self, inbox: str) -> int:
        with self.session() as session:
            run = IngestRun(started_at=_now(), inbox=inbox, pipeline_version=__version__)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, *, files_seen: int, accepted: int, rejected: int, unchanged: int) -> None:
        with self.session() as session:
            run = session.get(IngestRun, run_id)
            run.finished_at = _now()
            run.files_seen, run.accepted, run.rejected, run.unchanged = files_seen, accepted, rejected, unchanged

    def known_hashes(self) -> set[str]:
        """Content hashes of every accepted file: an unchanged file is never ingested twice."""
        with self.session() as session:
            return set(session.scalars(select(SubmissionVersion.sha256)))

    def save_submission(self, submission: Submission, run_id: int | None = None) -> VersionRecord:
        """Store an accepted file as the next version of its consortium × year × kind."""
        with self.session() as session:
            latest = session.scalar(
                select(func.max(SubmissionVersion.version)).where(
                    SubmissionVersion.consortium_id == submission.consortium_id,
                    SubmissionVersion.year == submission.year,
                    SubmissionVersion.kind == submission.kind,
                )
            )
            row = SubmissionVersion(
                consortium_id=submission.consortium_id,
                year=submission.year,
                kind=submission.kind,
                version=(latest or 0) + 1,
                submitted_on=submission.submitted_on,
                city_approved_on=submission.city_approved_on,
                consortium_name=submission.consortium_name,
                source_file=submission.source_file,
                sha256=submission.sha256,
                size_bytes=submission.size_bytes,
                ingested_at=_now(),
                run_id=run_id,
                withdrawn=False,
                values=[
                    SubmissionValue(
                        field_code=v.code, raw=v.raw, value=to_storage(v.value), problem=v.problem, note=v.note
                    )
                    for v in submission.values.values()
                ],
            )
            session.add(row)
            session.flush()
            return _version_record(row)

    def replace_rejections(
        self, rejections: Iterable[tuple[str, int | None, str, str, str]], run_id: int | None = None
    ) -> None:
        """Record this run's rejections ``(file, inbox_year, sha256, field, reason)``; older ones are cleared.

        A file rejected before and not rejected now was fixed, accepted or removed; its row goes.
        """
        now = _now()
        with self.session() as session:
            previous = {r.file: r for r in session.scalars(select(Rejection))}
            current = set()
            for file, inbox_year, sha256, field, reason in rejections:
                current.add(file)
                first_seen = (
                    previous[file].first_seen_at if file in previous and previous[file].sha256 == sha256 else now
                )
                session.merge(
                    Rejection(
                        file=file,
                        inbox_year=inbox_year,
                        sha256=sha256,
                        field=field,
                        reason=reason,
                        first_seen_at=first_seen,
                        last_seen_at=now,
                        run_id=run_id,
                    )
                )
            stale = set(previous) - current
            if stale:
                session.execute(delete(Rejection).where(Rejection.file.in_(stale)))

    def rejections(self, inbox_year: int | None = None) -> list[RejectionRecord]:
        with self.session() as session:
            query = select(Rejection).order_by(Rejection.file)
            if inbox_year is not None:
                query = query.where(Rejection.inbox_year == inbox_year)
            return [
                RejectionRecord(
                    file=r.file,
                    inbox_year=r.inbox_year,
                    sha256=r.sha256,
                    field=r.field,
                    reason=r.reason,
                    first_seen_at=r.first_seen_at,
                    last_seen_at=r.last_seen_at,
                )
                for r in session.scalars(query)
            ]

    # --- versions ---------------------------------------------------------------------------------

    def versions(
        self, year: int | None = None, consortium_ids: Iterable[str] | None = None, upto: int | None = None
    ) -> list[VersionRecord]:
        """Versions in ingest order; ``upto``: only those ingested up to that version id (a run's snapshot,
        so files another run ingests meanwhile wait for the next run)."""
        with self.session() as session:
            query = select(SubmissionVersion).order_by(SubmissionVersion.id)
            if upto is not None:
                query = query.where(SubmissionVersion.id <= upto)
            if year is not None:
                query = query.where(SubmissionVersion.year == year)
            if consortium_ids is not None:
                query = query.where(SubmissionVersion.consortium_id.in_(list(consortium_ids)))
            return [_version_record(row) for row in session.scalars(query)]

    def latest_version_id(self) -> int:
        """The highest version id so far (0 for none): a snapshot of what has been ingested."""
        with self.session() as session:
            return session.scalar(select(func.max(SubmissionVersion.id))) or 0

    def version_years(self, consortium_ids: Iterable[str] | None = None, upto: int | None = None) -> list[int]:
        """The years with any version of the consortia."""
        with self.session() as session:
            query = select(SubmissionVersion.year).distinct()
            if consortium_ids is not None:
                query = query.where(SubmissionVersion.consortium_id.in_(list(consortium_ids)))
            if upto is not None:
                query = query.where(SubmissionVersion.id <= upto)
            return sorted(session.scalars(query))

    def values(self, version_id: int) -> dict[str, FieldValue]:
        """The stored fields of one version, as text (``value`` is the canonical storage form)."""
        return self.values_for([version_id])[version_id]

    def values_for(
        self, version_ids: Iterable[int], fields: Iterable[str] | None = None
    ) -> dict[int, dict[str, FieldValue]]:
        """The stored fields of many versions in one query (a year's batch); only ``fields`` if given."""
        ids = list(version_ids)
        found: dict[int, dict[str, FieldValue]] = {version_id: {} for version_id in ids}
        wanted = list(fields) if fields is not None else None
        with self.session() as session:
            for start in range(0, len(ids), 500):  # keep IN lists short for every backend
                query = select(SubmissionValue).where(SubmissionValue.version_id.in_(ids[start : start + 500]))
                if wanted is not None:
                    query = query.where(SubmissionValue.field_code.in_(wanted))
                rows = session.scalars(query)
                for r in rows:
                    found[r.version_id][r.field_code] = FieldValue(
                        code=r.field_code, raw=r.raw, value=r.value, problem=r.problem, note=r.note
                    )
        return found

    def withdraw(self, consortium_id: str, year: int, kind: str, version: int, reason: str) -> VersionRecord:
        """Mark a version filed in error as withdrawn: kept, but neither scored nor used for timeliness."""
        if not reason.strip():
            raise ConfigurationError("a withdrawal needs a reason")
        with self.session() as session:
            row = session.scalar(
                select(SubmissionVersion).where(
                    SubmissionVersion.consortium_id == consortium_id,
                    SubmissionVersion.year == year,
                    SubmissionVersion.kind == kind,
                    SubmissionVersion.version == version,
                )
            )
            if row is None:
                known = session.scalars(
                    select(SubmissionVersion.version)
                    .where(
                        SubmissionVersion.consortium_id == consortium_id,
                        SubmissionVersion.year == year,
                        SubmissionVersion.kind == kind,
                    )
                    .order_by(SubmissionVersion.version)
                ).all()
                have = f"versions on file: {', '.join(map(str, known))}" if known else "no versions on file"
                raise NotFoundError(f"no version {version} of the {year} {kind} ({have})", consortium=consortium_id)
            if row.withdrawn:
                raise ConfigurationError(
                    f"version {version} of the {year} {kind} was already withdrawn on "
                    f"{row.withdrawn_at:%Y-%m-%d} ({row.withdrawn_reason})",
                    consortium=consortium_id,
                )
            row.withdrawn, row.withdrawn_reason, row.withdrawn_at = True, reason.strip(), _now()
            session.flush()
            return _version_record(row)

    # --- timeliness -------------------------------------------------------------------------------

    def save_timeliness(
        self, rows: Iterable[dict] | pd.DataFrame, *, year: int, province_codes: Iterable[str], as_of: date
    ) -> int:
        """Replace the year's timeliness for the given provinces with ``rows`` (one per consortium × kind)."""
        now, count = _now(), 0
        with self.session() as session:
            session.execute(
                delete(Timeliness).where(Timeliness.year == year, Timeliness.province_code.in_(list(province_codes)))
            )
            for row in _records(rows):
                session.add(
                    Timeliness(
                        consortium_id=row["consortium_id"],
                        year=year,
                        kind=row["kind"],
                        province_code=row["province_code"],
                        due_date=row["due_date"],
                        extended=row["extended"],
                        status=row["status"],
                        days_late=row["days_late"],
                        city_approved=row["city_approved"],
                        first_version=row["first_version"],
                        first_submitted_on=row["first_submitted_on"],
                        latest_version=row["version"],
                        source_file=row["source_file"],
                        as_of=as_of,
                        computed_at=now,
                    )
                )
                count += 1
        return count

    def timeliness(self, year: int, province_code: str | None = None) -> list[dict]:
        return self._rows(Timeliness, year, province_code, (Timeliness.consortium_id, Timeliness.kind))

    # --- data quality -----------------------------------------------------------------------------

    def save_findings(
        self,
        version_ids: Iterable[int],
        findings: Iterable[dict] | pd.DataFrame,
        digests: dict[int, str] | None = None,
    ) -> int:
        """Replace the findings of the validated versions (a version with none is validated and clean);
        ``digests`` records what each validation read, so an unchanged version need not be validated again."""
        ids, now, count, digests = list(version_ids), _now(), 0, digests or {}
        columns = [c for c in Finding.__table__.columns.keys() if c != "id"]
        with self.session() as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                session.execute(delete(Finding).where(Finding.version_id.in_(chunk)))
                for row in session.scalars(select(SubmissionVersion).where(SubmissionVersion.id.in_(chunk))):
                    row.validated_at = now
                    row.validated_digest = digests.get(row.id)
            for finding in _records(findings):
                session.add(Finding(**{c: finding.get(c) for c in columns}))
                count += 1
        return count

    def findings(self, version_ids: Iterable[int]) -> list[dict]:
        """The stored findings of the given versions, in the order they were found."""
        ids, rows = list(version_ids), []
        columns = Finding.__table__.columns.keys()
        with self.session() as session:
            for start in range(0, len(ids), 500):
                query = select(Finding).where(Finding.version_id.in_(ids[start : start + 500])).order_by(Finding.id)
                rows += [{c: getattr(r, c) for c in columns} for r in session.scalars(query)]
        return sorted(rows, key=lambda r: r["id"])

    def add_override(self, record: OverrideRecord, version_id: int | None = None) -> OverrideRecord:
        """Keep a reviewer's acceptance; the same acceptance twice is refused, naming the first."""
        with self.session() as session:
            existing = session.scalar(
                select(Override).where(
                    Override.consortium_id == record.consortium_id,
                    Override.year == record.year,
                    Override.kind == record.kind,
                    Override.field == record.field,
                    Override.rule == record.rule,
                    Override.value == (record.value or ""),
                )
            )
            if existing is not None:
                raise ConfigurationError(
                    f"the {record.rule} finding on {record.field} was already accepted by "
                    f"{existing.by} on {existing.at:%Y-%m-%d} ({existing.reason})",
                    consortium=record.consortium_id,
                    field=record.field,
                )
            row = Override(
                consortium_id=record.consortium_id,
                year=record.year,
                kind=record.kind,
                field=record.field,
                rule=record.rule,
                value=record.value or "",
                reason=record.reason,
                by=record.by,
                at=record.at or _now(),
                version_id=version_id,
            )
            session.add(row)
            session.flush()
            return _override_record(row)

    def overrides(self, year: int | None = None, consortium_ids: Iterable[str] | None = None) -> list[OverrideRecord]:
        with self.session() as session:
            query = select(Override).order_by(Override.id)
            if year is not None:
                query = query.where(Override.year == year)
            if consortium_ids is not None:
                query = query.where(Override.consortium_id.in_(list(consortium_ids)))
            return [_override_record(r) for r in session.scalars(query)]

    # --- scores -----------------------------------------------------------------------------------

    def save_scores(
        self,
        *,
        year: int,
        province_code: str,
        consortia: Iterable[dict] | pd.DataFrame,
        indicators: Iterable[dict],
        points: Iterable[dict],
    ) -> int:
        """Replace a province's scores for the year (totals, indicators, points) in one transaction, so a
        reader never sees half of a re-scoring. Each total row carries the framework and the versions."""
        now, count = _now(), 0
        with self.session() as session:
            for model in (Score, IndicatorScore, PointScore):
                session.execute(delete(model).where(model.year == year, model.province_code == province_code))
            for row in _records(consortia):
                session.add(
                    Score(
                        **row,
                        year=year,
                        province_code=province_code,
                        scored_at=now,
                        pipeline_version=__version__,
                    )
                )
                count += 1
            session.add_all(IndicatorScore(**row, year=year, province_code=province_code) for row in indicators)
            session.add_all(PointScore(**row, year=year, province_code=province_code) for row in points)
        return count

    def _rows(self, model, year: int, province_code: str | None, order: tuple) -> list[dict]:
        """A year's rows of a per-province table (timeliness, scores), as plain dicts."""
        with self.session() as session:
            query = select(model).where(model.year == year).order_by(*order)
            if province_code is not None:
                query = query.where(model.province_code == province_code)
            columns = model.__table__.columns.keys()
            return [{c: getattr(r, c) for c in columns} for r in session.scalars(query)]

    def scores(self, year: int, province_code: str | None = None) -> list[dict]:
        """Stored totals of a year, best first (rank, then id)."""
        rows = self._rows(Score, year, province_code, (Score.province_code, Score.rank, Score.consortium_id))
        return [r | {"scored_at": _aware(r["scored_at"])} for r in rows]

    def indicator_scores(self, year: int, province_code: str | None = None) -> list[dict]:
        return self._rows(IndicatorScore, year, province_code, (IndicatorScore.consortium_id, IndicatorScore.indicator))

    def point_scores(self, year: int, province_code: str | None = None) -> list[dict]:
        return self._rows(PointScore, year, province_code, (PointScore.consortium_id, PointScore.point))

    # --- published report versions and run locks -------------------------------------------------

    def report_versions(self, year: int, province_code: str | None = None, kind: str | None = None) -> list[Published]:
        """Every published version of the year's reports (of a province, of a kind), oldest first."""
        with self.session() as session:
            query = (
                select(ReportVersion)
                .where(ReportVersion.year == year)
                .order_by(ReportVersion.kind, ReportVersion.subject, ReportVersion.version)
            )
            if province_code is not None:
                query = query.where(ReportVersion.province_code == province_code)
            if kind is not None:
                query = query.where(ReportVersion.kind == kind)
            return [_published(row) for row in session.scalars(query)]

    def record_report_versions(self, records: Iterable[tuple[Published, str]]) -> int:
        """Record rendered reports, each with its province code: a new version is added; rendering an
        existing version again (a restored or forced PDF) updates its pages and rendered_at only; an existing
        version given another fingerprint (adopted under content fingerprints) updates its fingerprint only."""
        now, count = _now(), 0
        with self.session() as session:
            for record, province_code in records:
                row = session.scalars(
                    select(ReportVersion).where(
                        ReportVersion.kind == record.kind,
                        ReportVersion.year == record.year,
                        ReportVersion.subject == record.subject,
                        ReportVersion.version == record.version,
                    )
                ).first()
                if row is None:
                    session.add(
                        ReportVersion(
                            kind=record.kind,
                            year=record.year,
                            province_code=province_code,
                            subject=record.subject,
                            version=record.version,
                            fingerprint=record.fingerprint,
                            parts=json.dumps(record.parts, sort_keys=True),
                            reasons="；".join(record.reasons),
                            path=record.path,
                            pages=record.pages,
                            published_at=(record.published_at or now).astimezone(UTC),
                            rendered_at=now,
                            pipeline_version=__version__,
                        )
                    )
                elif row.fingerprint != record.fingerprint:
                    # Adopted: a version recorded before content fingerprints shows what this run would, so
                    # it takes the content fingerprint; nothing was rendered (number, date, file, pages stay).
                    row.fingerprint, row.parts = record.fingerprint, json.dumps(record.parts, sort_keys=True)
                else:  # the version's archived copy (its path) stays as first published
                    row.pages, row.rendered_at = record.pages, now
                count += 1
        return count

    def stage_digests(self, stage: str, year: int) -> dict[str, str]:
        """scope → digest of what ``stage`` last read for the year (chanjiao's skip-if-unchanged)."""
        with self.session() as session:
            return {
                row.scope: row.digest
                for row in session.scalars(
                    select(StageDigest).where(StageDigest.stage == stage, StageDigest.year == year)
                )
            }

    def save_stage_digests(self, stage: str, year: int, digests: dict[str, str]) -> None:
        """Record (or replace) what ``stage`` read for each scope, once its results are stored."""
        now = _now()
        with self.session() as session:
            for scope, value in digests.items():
                row = session.get(StageDigest, (stage, year, scope))
                if row is None:
                    session.add(StageDigest(stage=stage, year=year, scope=scope, digest=value, updated_at=now))
                else:
                    row.digest, row.updated_at = value, now

    def forget_stage_digests(self, stage: str, year: int, scopes: Iterable[str]) -> None:
        """Drop the digests of the scopes, so their stage runs in full next time."""
        with self.session() as session:
            session.execute(
                delete(StageDigest).where(
                    StageDigest.stage == stage, StageDigest.year == year, StageDigest.scope.in_(list(scopes))
                )
            )

    def lock(self, names: Iterable[str], *, wait_seconds: float = 0, folder: Path | None = None):
        """A context manager holding the named run locks (warehouse.locks) for its block; ``folder``: where a
        SQLite warehouse's lock files are (default: ``locks/`` beside the database)."""
        return run_lock(self.engine, list(names), wait_seconds=wait_seconds, folder=folder)


def _records(rows: Iterable[dict] | pd.DataFrame) -> list[dict]:
    """Rows to store, from a frame or as records, with every missing cell (NaN, NaT, pd.NA) None — stored as
    NULL (PostgreSQL would keep the text 'NaN' in a text column). The one place a frame's gaps become NULL."""
    if isinstance(rows, pd.DataFrame):
        rows = rows.to_dict("records")
    return [{key: None if is_missing(value) else value for key, value in row.items()} for row in rows]


def _aware(moment: datetime | None) -> datetime | None:
    """Instants are stored in UTC; SQLite hands them back naive, PostgreSQL aware: always aware here."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _published(row: ReportVersion) -> Published:
    return Published(
        kind=row.kind,
        year=row.year,
        subject=row.subject,
        version=row.version,
        fingerprint=row.fingerprint,
        parts=json.loads(row.parts or "{}"),
        reasons=tuple(r for r in row.reasons.split("；") if r),
        published_at=_aware(row.published_at),
        path=row.path,
        pages=row.pages,
    )


def _override_record(row: Override) -> OverrideRecord:
    return OverrideRecord(
        consortium_id=row.consortium_id,
        year=row.year,
        kind=row.kind,
        field=row.field,
        rule=row.rule,
        value=row.value,
        reason=row.reason,
        by=row.by,
        at=_aware(row.at),
    )
