"""One settings object, with defaults that work out of the box on the bundled sample.

Every value can be set by environment (``CHANJIAO_…``) or a ``.env`` file; per-run choices (year,
province, as-of date) are flow parameters, not settings.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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
    def reports_dir(self) -> Path:
        return self.warehouse_dir / "reports"

    @property
    def receipts_dir(self) -> Path:
        """``WAREHOUSE/receipts/<year>/<consortium>-<kind>-v<N>.html``: one 回执 per accepted version."""
        return self.warehouse_dir / "receipts"

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
