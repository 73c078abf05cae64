"""Published reports as versions: when a report must be rendered again, and what its new version is.

A report's *fingerprint* is a digest of everything it shows (its context, less the moment it was generated
and the as-of date printed on the cover), of the templates and of the pipeline version. Its parts — the
consortium's own submitted data, earlier years, the template, the framework — are digested separately so
a revision can say why it was made. Pure: no I/O; the warehouse keeps the versions, the render stage the files.

* nothing changed and the PDF is in place → skip (nothing is produced twice);
* nothing changed but the PDF is gone (deleted, or a run was killed before writing it) → render the same
  version again;
* the fingerprint changed after a version was published → a new version, marked 修订版 with its reasons,
  and the earlier versions stay on disk (``versions/``) and in the warehouse;
* ``force`` → render again; the version number only moves if the content changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from chanjiao import __version__
from chanjiao.common.digest import VOLATILE_KEYS, digest  # noqa: F401  (re-exported)
from chanjiao.common.exports import beijing_time

# Why a report was revised, in the words the reports print, most specific first.
REASONS_ZH = {
    "data": "本联合体报送数据或数据质量结论更新",
    "history": "往年评价结果更新",
    "framework": "评价指标体系更新",
    "template": "报告模板或程序版本更新",
    "peers": "省内其他联合体数据更新（中位数、排名等对比数据变化）",
    "consortia": "省内联合体数据更新",
    "other": "评价结果更新",
}
ACTIONS = ("new", "revised", "restored", "forced", "unchanged")


def template_digest(folder: Path) -> str:
    """The templates' version: every file under ``report_templates/`` (names and bytes) but its README, and
    the pipeline version."""
    hasher = hashlib.sha256(f"chanjiao {__version__}\n".encode())
    for path in sorted(
        p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.name != "README.md"
    ):
        hasher.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        hasher.update(hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    """The digest of a report's inputs, and of its parts (``data``, ``history``, ``framework``,
    ``template``) to name the reason of a revision."""

    total: str
    parts: dict[str, str] = field(default_factory=dict)


def fingerprint(
    context: Mapping,
    *,
    template: str,
    framework: str,
    data: object = None,
    history: object = None,
    peers: object = None,
    attachments: tuple[bytes, ...] = (),
) -> Fingerprint:
    """A report's fingerprint: its whole context and embedded files plus the template and framework versions;
    ``data``, ``peers`` and ``history`` are the context's parts that are the consortium's own submissions,
    the province's comparison figures and its earlier years (to name a revision's reasons)."""
    parts = {"template": template, "framework": framework}
    for name, part in (("data", data), ("peers", peers), ("history", history)):
        if part is not None:
            parts[name] = digest(part)
    files = [hashlib.sha256(content).hexdigest() for content in attachments]
    return Fingerprint(total=digest({"context": context, "parts": parts, "attachments": files}), parts=parts)


@dataclass(frozen=True)
class Published:
    """A version of a report as the warehouse keeps it."""

    kind: str  # consortium | province | receipt
    year: int
    subject: str  # consortium id, province code, or receipt name
    version: int
    fingerprint: str
    parts: dict[str, str]
    reasons: tuple[str, ...]
    published_at: datetime
    path: str = ""
    pages: int = 0


@dataclass(frozen=True)
class Decision:
    """What to do with one report in this run."""

    kind: str
    year: int
    subject: str
    action: str  # one of ACTIONS
    version: int
    fingerprint: Fingerprint
    reasons: tuple[str, ...] = ()
    first_published_at: datetime | None = None  # of version 1, for the 修订版 note
    previous_published_at: datetime | None = None  # of the version this one revises
    version_published_at: datetime | None = None  # of this version, when it was published before (re-render)

    @property
    def render(self) -> bool:
        return self.action != "unchanged"

    @property
    def revised(self) -> bool:
        """A version after the first: printed as 修订版."""
        return self.version > 1


def unchanged(published: Published) -> Decision:
    """The decision for a report whose inputs are known not to have changed (its latest version stands)."""
    return Decision(
        kind=published.kind,
        year=published.year,
        subject=published.subject,
        action="unchanged",
        version=published.version,
        fingerprint=Fingerprint(published.fingerprint, dict(published.parts)),
        reasons=published.reasons,
        version_published_at=published.published_at,
    )


def revision_reasons(
    before: Mapping[str, str], after: Mapping[str, str], extra: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """Why a fingerprint moved, in Chinese: the parts that changed (own data, the province's comparison
    figures, earlier years, framework, template), else a neutral "评价结果更新"."""
    changed = tuple(
        REASONS_ZH[name]
        for name in ("data", "peers", "history", "framework", "template")
        if name in after and before.get(name) != after.get(name)
    )
    return changed + extra if (changed or extra) else (REASONS_ZH["other"],)


def decide(
    kind: str,
    year: int,
    subject: str,
    current: Fingerprint,
    history: list[Published],
    *,
    file_exists: bool,
    force: bool = False,
    extra_reasons: tuple[str, ...] = (),
) -> Decision:
    """The decision for one report, given its earlier versions (any order) and whether its PDF is there."""
    versions = sorted(history, key=lambda p: p.version)
    latest = versions[-1] if versions else None
    first = versions[0].published_at if versions else None
    common = dict(kind=kind, year=year, subject=subject, fingerprint=current, first_published_at=first)
    if latest is None:
        return Decision(action="new", version=1, **common)
    if latest.fingerprint == current.total:
        action = "forced" if force else "restored" if not file_exists else "unchanged"
        return Decision(
            action=action,
            version=latest.version,
            reasons=latest.reasons,
            previous_published_at=versions[-2].published_at if len(versions) > 1 else None,
            version_published_at=latest.published_at,
            **common,
        )
    return Decision(
        action="revised",
        version=latest.version + 1,
        reasons=revision_reasons(latest.parts, current.parts, extra_reasons),
        previous_published_at=latest.published_at,
        **common,
    )


def revision_note(decision: Decision, when: datetime) -> dict | None:
    """What the report prints about its version: nothing for a first version, the 修订版 box otherwise (a
    version rendered again — restored, forced — keeps the date it was first published)."""
    if not decision.revised:
        return None
    return {
        "version": decision.version,
        "first_published": day_text(decision.first_published_at),
        "previous_published": day_text(decision.previous_published_at),
        "published": day_text(decision.version_published_at or when),
        "reasons": list(decision.reasons),
    }


def day_text(moment: datetime | None) -> str:
    return f"{beijing_time(moment):%Y-%m-%d}" if moment is not None else "—"


def versioned_name(subject_file: str, version: int) -> str:
    """``HN-2024-01.pdf`` v3 → ``HN-2024-01-v3.pdf``: each published version's archived copy."""
    stem, dot, suffix = subject_file.rpartition(".")
    return f"{stem}-v{version}.{suffix}" if dot else f"{subject_file}-v{version}"


def tally(decisions: list[Decision]) -> dict[str, int]:
    """How many reports of each action (new, revised, restored, forced, unchanged)."""
    return {action: sum(1 for d in decisions if d.action == action) for action in ACTIONS}
