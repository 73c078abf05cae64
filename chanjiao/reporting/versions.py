"""Published reports as versions: when a report must be rendered again, and what its new version is.

A report is versioned by **what it shows**. Its *fingerprint* is a digest of its rendered HTML — less the
parts that say when and by what it was made (the moment of generation, the as-of date on the cover, the
program version; templates mark them ``<!--v-->…<!--/v-->``), and without the 修订版 box — plus the bytes of
its attachments. A code or rule change may make stages recompute, but a report whose content comes out
identical is neither rendered nor published again. The fingerprint's *parts* — the consortium's own inputs,
the province's comparison figures, earlier years, the framework, the templates and program — are digested
separately only to say why a revision was made. Pure: no I/O; the warehouse keeps the versions, the render
stage the files.

* nothing shown changed and the PDF is in place → skip (nothing is produced twice);
* nothing shown changed but the PDF is gone (deleted, or a run was killed before writing it) → render the
  same version again;
* what it shows changed after a version was published → a new version, marked 修订版 with its reasons, and
  the earlier versions stay on disk (``versions/``) and in the warehouse;
* ``force`` → render again; the version number only moves if the content changed;
* a version published before content fingerprints (no ``c1:`` prefix) is *adopted* — its fingerprint
  replaced, nothing rendered — when the HTML published beside its PDF matches today's rendering of it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

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


# Content fingerprints carry their scheme, so a version recorded under an older scheme is recognised.
CONTENT_SCHEME = "c1:"
# What templates wrap around text that says when and by what a copy was made (not what it shows).
VOLATILE_OPEN, VOLATILE_CLOSE = "<!--v-->", "<!--/v-->"
_VOLATILE = re.compile(re.escape(VOLATILE_OPEN) + r".*?" + re.escape(VOLATILE_CLOSE), re.S)
# The same, where a comment cannot go: the program version in <meta name="generator">.
_GENERATOR = re.compile(r'(<meta name="generator" content=")[^"]*(")')
# Parts whose digests mean the same under every scheme (compared even against a pre-c1 version).
_STABLE_PARTS = ("peers", "history", "framework")


def template_digest(folder: Path) -> str:
    """The templates' version: every file under ``report_templates/`` (names and bytes) but its README."""
    hasher = hashlib.sha256(b"report_templates\n")
    for path in sorted(
        p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.name != "README.md"
    ):
        hasher.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        hasher.update(hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()


def shown_content(html: str) -> str:
    """The HTML less its volatile spans' text (generation moment, as-of date, program version)."""
    return _VOLATILE.sub(VOLATILE_OPEN + VOLATILE_CLOSE, _GENERATOR.sub(r"\1\2", html))


def content_digest(html: str, attachments: tuple[bytes, ...] = ()) -> str:
    """A report's fingerprint: sha256 of what it shows (``shown_content``) and of each embedded file."""
    hasher = hashlib.sha256(shown_content(html).encode("utf-8"))
    for content in attachments:
        hasher.update(b"\0attachment\0" + hashlib.sha256(content).digest())
    return CONTENT_SCHEME + hasher.hexdigest()


def is_content_fingerprint(value: str) -> bool:
    return value.startswith(CONTENT_SCHEME)


def same_shown_content(rendered: str, published: str) -> bool:
    """Whether ``published`` (HTML written by an earlier program, perhaps without volatile markers) shows what
    ``rendered`` shows: equal outside ``rendered``'s volatile spans, whose text may be anything there."""
    static = [re.escape(chunk) for chunk in _VOLATILE.split(_GENERATOR.sub(r"\1\2", rendered))]
    anything = "(?:" + re.escape(VOLATILE_OPEN) + ")?.{0,200}?(?:" + re.escape(VOLATILE_CLOSE) + ")?"
    return re.fullmatch(anything.join(static), _GENERATOR.sub(r"\1\2", published), flags=re.S) is not None


@dataclass(frozen=True)
class Fingerprint:
    """What a report shows (``total``, a content digest) and the digests of its parts (``data``, ``peers``,
    ``history``, ``framework``, ``template``) that name the reasons of a revision."""

    total: str
    parts: dict[str, str] = field(default_factory=dict)


def report_parts(
    *,
    template: str,
    framework: str,
    data: object = None,
    history: object = None,
    peers: object = None,
    consortia: object = None,
) -> dict[str, str]:
    """The digests that explain a revision: ``data`` the consortium's own inputs (label-free: submitted
    values, findings, timeliness, registry row), ``peers`` the province's comparison figures, ``history`` its
    earlier years, ``consortia`` (a provincial report) every consortium's inputs, ``framework`` and
    ``template`` (the templates and the program) as versions."""
    parts = {"template": template, "framework": framework}
    for name, part in (("data", data), ("peers", peers), ("history", history), ("consortia", consortia)):
        if part is not None:
            parts[name] = digest(part)
    return parts


def fingerprint(html: str, *, parts: Mapping[str, str], attachments: tuple[bytes, ...] = ()) -> Fingerprint:
    """A report's fingerprint from its rendered HTML (without the 修订版 box) and its attachments."""
    return Fingerprint(total=content_digest(html, attachments), parts=dict(parts))


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
    adopts: Published | None = None  # a pre-c1 version that shows the same: recorded under this fingerprint

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
    before: Mapping[str, str], after: Mapping[str, str], extra: tuple[str, ...] = (), *, comparable: bool = True
) -> tuple[str, ...]:
    """Why what a report shows changed, in Chinese: the parts that changed (own data, the province's comparison
    figures, earlier years, framework, templates and program). Its content changed with none of them, so
    the templates or the program made the difference. ``comparable=False``: the earlier version's parts
    were digested under an older scheme — only the parts defined alike are compared, else "评价结果更新"."""
    names = ("data", "consortia", "peers", "history", "framework", "template") if comparable else _STABLE_PARTS
    changed = tuple(REASONS_ZH[n] for n in names if n in after and n in before and before[n] != after[n])
    if any(reason.startswith(REASONS_ZH["consortia"]) for reason in extra):  # the extra one names them
        changed = tuple(reason for reason in changed if reason != REASONS_ZH["consortia"])
    if changed or extra:
        return changed + extra
    return (REASONS_ZH["template"],) if comparable else (REASONS_ZH["other"],)


def latest_note(history: list[Published]) -> dict | None:
    """The 修订版 box the latest published version printed (None for a first version): what a pre-c1 version's
    HTML is compared with, so it can be adopted."""
    versions = sorted(history, key=lambda p: p.version)
    if not versions or versions[-1].version == 1:
        return None
    latest = versions[-1]
    return {
        "version": latest.version,
        "first_published": day_text(versions[0].published_at),
        "previous_published": day_text(versions[-2].published_at if len(versions) > 1 else None),
        "published": day_text(latest.published_at),
        "reasons": list(latest.reasons),
    }


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
    shows_same: bool = False,
) -> Decision:
    """The decision for one report, given its earlier versions (any order) and whether its PDF is there.
    ``shows_same``: the latest version's published HTML shows what this rendering shows (checked by the
    caller for a version recorded before content fingerprints; it is then adopted, not revised)."""
    versions = sorted(history, key=lambda p: p.version)
    latest = versions[-1] if versions else None
    first = versions[0].published_at if versions else None
    common = dict(kind=kind, year=year, subject=subject, fingerprint=current, first_published_at=first)
    if latest is None:
        return Decision(action="new", version=1, **common)
    legacy = not is_content_fingerprint(latest.fingerprint)
    if latest.fingerprint == current.total or (legacy and shows_same):
        action = "forced" if force else "restored" if not file_exists else "unchanged"
        return Decision(
            action=action,
            version=latest.version,
            reasons=latest.reasons,
            previous_published_at=versions[-2].published_at if len(versions) > 1 else None,
            version_published_at=latest.published_at,
            adopts=latest if legacy else None,
            **common,
        )
    return Decision(
        action="revised",
        version=latest.version + 1,
        reasons=revision_reasons(latest.parts, current.parts, extra_reasons, comparable=not legacy),
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
