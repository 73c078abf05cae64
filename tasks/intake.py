"""Ingest: every new file under INBOX/<year>/ becomes a submission version or a rejection."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.common.errors import RejectedFile
from chanjiao.intake.ingest import content_hash, folder_year, parse_submission
from chanjiao.operations import progress
from chanjiao.reference.catalogue import load_catalogue
from tasks.retry import io_retries
from tasks.run import RunContext, open_warehouse


@dataclass
class IngestSummary:
    years: list[int]
    files_seen: int = 0
    accepted: list[str] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    ignored: list[str] = field(default_factory=list)  # not in a year folder
    snapshot: int | None = None  # the highest version id when this ingest ended: what the run processes

    @property
    def new_years(self) -> list[int]:
        """Inbox years that received a new version in this run."""
        return sorted({folder_year(name) for name in self.accepted} - {None})


def display_name(inbox: Path, path: Path) -> str:
    """The file's path under the inbox as text. Names unpacked from Windows archives are often GBK bytes,
    not UTF-8: decode them as GB18030 so the name is readable and storable, never a crash."""
    raw = os.fsencode(path.relative_to(inbox).as_posix())
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def inbox_files(inbox: Path) -> tuple[list[Path], list[Path]]:
    """Files under INBOX/<year>/ (sorted, so ingest order is stable) and files found anywhere else."""
    if not inbox.is_dir():
        return [], []
    wanted, stray = [], []
    for path in sorted(p for p in inbox.rglob("*") if p.is_file()):
        relative = path.relative_to(inbox)
        if any(part.startswith(".") or part.startswith("~$") for part in relative.parts):
            continue  # editor lock files and hidden files are not submissions
        (wanted if folder_year(relative.parts[0]) is not None else stray).append(path)
    return wanted, stray


@task(name="ingest-inbox", cache_policy=NO_CACHE, **io_retries())
def ingest_inbox(run: RunContext) -> IngestSummary:
    """Accept or reject every file not yet ingested; rejected files are tried again on every run."""
    logger = get_run_logger()
    catalogue = load_catalogue()
    inbox, reference, limits = run.settings.inbox_dir, run.reference, run.settings.read_limits
    files, stray = inbox_files(Path(inbox))
    summary = IngestSummary(
        years=sorted({folder_year(p.relative_to(inbox).parts[0]) for p in files}),
        files_seen=len(files),
        ignored=[display_name(inbox, p) for p in stray],
    )
    for name in summary.ignored:
        logger.warning("%s: not under a year folder (INBOX/<year>/), ignored", name)
    with open_warehouse(run) as warehouse:
        run_id = warehouse.start_run(str(inbox))
        known = warehouse.known_hashes()
        rejections = []

        def reject(name: str, digest: str, error: RejectedFile) -> None:
            logger.warning("rejected %s", error)
            summary.rejected.append((name, str(error)))
            rejections.append((name, folder_year(name), digest, error.field or "-", str(error)))

        progress.start("ingest", len(files))
        for path in files:
            progress.advance("ingest")
            name = display_name(inbox, path)
            try:
                content = _read_bytes(path)
            except OSError as exc:
                reject(name, "", RejectedFile(f"cannot read the file ({exc.strerror or exc})", file=name))
                continue
            digest = content_hash(content)
            if digest in known:
                summary.unchanged += 1
                continue
            try:
                submission = parse_submission(name, content, catalogue, reference.consortium_ids, limits)
            except Exception as exc:  # one bad file never stops the run: anything unforeseen is a rejection
                if not isinstance(exc, RejectedFile):
                    logger.exception("%s: unexpected error while reading", name)
                    exc = RejectedFile(f"could not be read ({type(exc).__name__}: {exc})", file=name, field="-")
                reject(name, digest, exc)
                continue
            record = warehouse.save_submission(submission, run_id)
            known.add(digest)
            summary.accepted.append(name)
            logger.info(
                "accepted %s as %s %d %s v%d", name, record.consortium_id, record.year, record.kind, record.version
            )
        progress.finish("ingest")
        warehouse.replace_rejections(rejections, run_id)
        summary.snapshot = warehouse.latest_version_id()
        warehouse.finish_run(
            run_id,
            files_seen=len(files),
            accepted=len(summary.accepted),
            rejected=len(rejections),
            unchanged=summary.unchanged,
        )
    logger.info(
        "inbox %s: %d files, %d accepted, %d unchanged, %d rejected",
        inbox,
        summary.files_seen,
        len(summary.accepted),
        summary.unchanged,
        len(summary.rejected),
    )
    return summary


def _read_bytes(path: Path, attempts: int = 3) -> bytes:
    """Read a file, retrying briefly: inboxes are often network shares that hiccup."""
    import time

    for attempt in range(1, attempts + 1):
        try:
            return path.read_bytes()
        except OSError:
            if attempt == attempts:
                raise
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")
