"""One settings object, with defaults that work out of the box on the bundled sample; the paths a run writes;
and the run context a flow run builds once and hands to its tasks.

Every setting can be set by environment (``CHANJIAO_…``) or a ``.env`` file; per-run choices (year,
province, as-of date) are flow parameters, not settings: both meet in :class:`RunContext`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chanjiao.common.project import PROJECT_ROOT  # noqa: E402
from chanjiao.intake.readers import ReadLimits

SAMPLE_DIR = PROJECT_ROOT / "sample"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHANJIAO_", env_file=".env", extra="ignore")

    inbox_dir: Path = Field(SAMPLE_DIR / "inbox", description="INBOX/<year>/ holds the submission files")
    registry_file: Path = Field(SAMPLE_DIR / "registry.csv", description="consortium registry CSV")
    extensions_file: Path | None = Field(
        None,
        description="per-consortium deadline extensions CSV; default: extensions.csv beside the registry, if present",
    )
    warehouse_dir: Path = Field(
        PROJECT_ROOT / "warehouse", description="holds warehouse.db (SQLite default) and reports/"
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default SQLite in warehouse_dir, "
        "e.g. postgresql+psycopg://user@host/db for production",
    )
    database_secret: str | None = Field(
        None, description="name of a Prefect Secret block holding the database URL, used when database_url is not set"
    )
    frameworks_dir: Path | None = Field(
        None,
        description="folder of scoring framework files (<id>.yaml); default: the project's chanjiao/data/frameworks",
    )
    report_workers: int | None = Field(None, ge=1, description="processes rendering PDFs; default: one per CPU")
    lock_wait_seconds: float = Field(
        600,
        ge=0,
        description="how long a run waits for another run on the same province (or inbox) to finish before giving up",
    )
    dask_batch_size: int = Field(8, ge=1, description="PDFs per task when rendering on a Dask cluster")
    max_file_bytes: int = 20 * 1024 * 1024
    max_unzipped_bytes: int = 64 * 1024 * 1024
    max_compression_ratio: int = 100
    max_xml_bytes: int = 4 * 1024 * 1024

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.warehouse_dir / 'warehouse.db').resolve()}"

    @property
    def extensions_path(self) -> Path | None:
        """Extensions travel with the registry: ``extensions.csv`` beside it unless a file is named."""
        if self.extensions_file is not None:
            return self.extensions_file
        beside = self.registry_file.parent / "extensions.csv"
        return beside if beside.exists() else None

    @property
    def paths(self) -> OutputPaths:
        """Where the run's outputs go (the lock files beside a SQLite database: ``warehouse.locks``)."""
        from warehouse.locks import lock_folder

        return OutputPaths(self.warehouse_dir, locks=lock_folder(self.url))

    def path_parameters(self) -> dict[str, str | None]:
        """These settings' paths as the flows' parameters of the same names: how the CLI and after-deadline hand
        their inbox, registry, extensions and warehouse to an annual-compliance run (never the database URL)."""
        return {
            "inbox_dir": str(self.inbox_dir),
            "registry_file": str(self.registry_file),
            "extensions_file": str(self.extensions_path) if self.extensions_path else None,
            "warehouse_dir": str(self.warehouse_dir),
        }

    @property
    def read_limits(self) -> ReadLimits:
        return ReadLimits(
            max_file_bytes=self.max_file_bytes,
            max_unzipped_bytes=self.max_unzipped_bytes,
            max_compression_ratio=self.max_compression_ratio,
            max_xml_bytes=self.max_xml_bytes,
        )

    def resolved(self) -> Settings:
        """This, with the database URL read from the Prefect Secret block ``database_secret`` names when no
        ``database_url`` is set. The URL is never a flow parameter: parameters are shown in the Prefect UI,
        stored with every run and sent in failure notifications."""
        if self.database_url or not self.database_secret:
            return self
        from prefect.blocks.system import Secret

        from chanjiao.common.errors import ConfigurationError, mask_passwords_in

        try:
            url = Secret.load(self.database_secret).get()
        except ValueError as exc:  # Prefect: "Unable to find block document named …"
            raise ConfigurationError(
                f"no Prefect Secret block named {self.database_secret!r} (CHANJIAO_DATABASE_SECRET): {exc}"
            ) from None
        except Exception as exc:  # the API did not answer, refused the request, …
            raise ConfigurationError(
                f"cannot read the Prefect Secret block {self.database_secret!r} "
                f"(CHANJIAO_DATABASE_SECRET) from the Prefect API: "
                f"{mask_passwords_in(str(exc))}"
            ) from None
        if not isinstance(url, str) or "://" not in url:
            raise ConfigurationError(
                f"the Prefect Secret block {self.database_secret!r} does not hold a "
                "database URL (e.g. postgresql+psycopg://user:password@host/db)"
            )
        return self.with_overrides(database_url=url)

    def with_overrides(self, **overrides) -> Settings:
        """A copy with the given values replaced; ``None`` means "keep the setting"."""
        values = self.model_dump(exclude_unset=True)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return type(self)(**values)


@dataclass(frozen=True)
class OutputPaths:
    """Every place a run writes, named once (docs/ARCHITECTURE.md, "Where outputs live"): under the warehouse
    folder, ``reports/<year>/`` with a folder per province, and ``receipts/<year>/``; the lock files beside a
    SQLite database. (A report's archived versions are ``versions/`` in its province's folder, named by
    ``chanjiao.reporting.jobs``.)"""

    warehouse_dir: Path
    locks: Path | None = None  # ``locks/<name>.lock`` beside a SQLite database; PostgreSQL's are in the database

    @property
    def reports(self) -> Path:
        return self.warehouse_dir / "reports"

    @property
    def receipts(self) -> Path:
        """``receipts/<year>/<consortium>-<kind>-v<N>.html`` (and ``.pdf``): one 回执 per accepted version."""
        return self.warehouse_dir / "receipts"

    def year(self, year: int) -> Path:
        """``reports/<year>/``: the year's rejected files and reminders, and a folder per province."""
        return self.reports / str(year)

    def province(self, year: int, province_code: str) -> Path:
        """``reports/<year>/<province>/``: the province's CSV exports and PDF reports (their HTML beside)."""
        return self.year(year) / province_code

    def export(self, year: int, province_code: str, name: str) -> Path:
        """One of a province's CSV exports: ``submissions.csv``, ``findings.csv``, ``scores.csv``, ``points.csv``."""
        return self.province(year, province_code) / name

    def rejected(self, year: int) -> Path:
        """``reports/<year>/_rejected.csv``: the files of ``INBOX/<year>/`` the latest run rejected."""
        return self.year(year) / "_rejected.csv"

    def reminders(self, year: int, province_code: str, as_of: date) -> Path:
        """``reports/<year>/reminders/<province>-<date>.csv`` (outside the province folders, which
        annual-compliance runs own under their lock)."""
        return self.year(year) / "reminders" / f"{province_code}-{as_of:%Y-%m-%d}.csv"

    def receipts_of(self, year: int) -> Path:
        return self.receipts / str(year)


class RunContext(BaseModel):
    """One flow run, built once (:meth:`build`) and handed to every task: what to do (the years, provinces,
    as-of date, force, PDFs and where to render them), where (``paths``, ``settings``) and, as the run goes,
    the reference data and what its ingest saw. :meth:`for_year` narrows it to one year and its provinces.

    Prefect keeps a subflow's parameters and shows them in its UI: the settings (they may hold the database
    URL), the reference data and the ingest are never part of what it keeps."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    year: int | None = None  # the year asked for (None: the default years); in a year's context, that year
    years: list[int]
    provinces: list[str] | None = None  # those asked for (None: all); in a year's context, those it processes
    selected: dict[int, list[str]] = {}  # each year's provinces, once the reference data is known
    as_of: date
    force: bool = False
    pdf: bool = True
    task_runner: Literal["process", "dask"] = "process"
    dask_address: str | None = None
    lock_wait_seconds: float = 600
    paths: OutputPaths
    settings: Settings = Field(exclude=True, repr=False)
    reference: Any = Field(None, exclude=True, repr=False)  # chanjiao.reference.registry.ReferenceData
    ingest: Any = Field(None, exclude=True, repr=False)  # tasks.intake.IngestSummary

    @classmethod
    def build(
        cls,
        *,
        year: int | None = None,
        provinces: list[str] | None = None,
        as_of: date | None = None,
        force: bool = False,
        pdf: bool = True,
        task_runner: Literal["process", "dask"] = "process",
        dask_address: str | None = None,
        wait: bool = True,
        **overrides: str | None,
    ) -> RunContext:
        """The run of a flow's parameters: the settings with its path ``overrides`` (``inbox_dir``,
        ``registry_file``, ``extensions_file``, ``warehouse_dir``; None keeps the setting) and the database URL
        of a Secret block resolved; as of today in Beijing unless ``as_of``; the year asked for, else the
        default years (:func:`~chanjiao.quality.timeliness.reporting_years`). Without ``wait``, a run another
        run holds a lock of stops at once instead of waiting ``lock_wait_seconds``."""
        from chanjiao.quality.timeliness import reporting_years, today_in_china

        settings = Settings().with_overrides(**overrides).resolved()
        as_of = as_of or today_in_china()
        return cls(
            year=year,
            years=[year] if year is not None else reporting_years(as_of),
            provinces=provinces,
            as_of=as_of,
            force=force,
            pdf=pdf,
            task_runner=task_runner,
            dask_address=dask_address,
            lock_wait_seconds=settings.lock_wait_seconds if wait else 0,
            paths=settings.paths,
            settings=settings,
        )

    def with_reference(self, reference: Any) -> RunContext:
        """This run with its reference data and each year's provinces. A year asked for that nothing can be
        reported for (later than the as-of date, or nobody expected to file) is refused here, before any work."""
        from chanjiao.quality.timeliness import check_reporting_year

        if self.year is not None:
            check_reporting_year(reference.registry, self.year, self.as_of, self.provinces)
        selected = {year: reference.select_provinces(year, self.provinces) for year in self.years}
        return self.model_copy(update={"reference": reference, "selected": selected})

    def with_ingest(self, ingest: Any) -> RunContext:
        """This run with what its ingest saw: later stages read the versions up to its snapshot."""
        return self.model_copy(update={"ingest": ingest})

    def for_year(self, year: int) -> RunContext:
        """One year of this run, with the provinces it processes in that year."""
        return self.model_copy(update={"year": year, "provinces": self.selected[year]})

    @property
    def all_provinces(self) -> list[str]:
        """Every province the run processes, whatever the year (each is locked for the whole run)."""
        return sorted({code for codes in self.selected.values() for code in codes})

    @property
    def upto(self) -> int | None:
        """The highest version id this run's ingest saw: files another run ingests meanwhile wait for the next."""
        return self.ingest.snapshot if self.ingest is not None else None

    @property
    def url(self) -> str:
        """The warehouse database's URL (never shown: it may hold a password)."""
        return self.settings.url
