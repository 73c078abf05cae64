"""Is this installation one the unattended runs can trust? Known-broken version combinations, checked at
start-up (``chanjiao doctor``; the Prefect server's systemd unit runs it before starting, and every
``chanjiao run`` checks the same table) so that a broken combination fails loudly instead of silently never
scheduling a night.

Each entry is a fact measured on this project's machines, with what breaks. The check is a pure function
of a ``{distribution: version}`` mapping, so tests need no second virtualenv.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from chanjiao.common.errors import ConfigurationError


@dataclass(frozen=True)
class KnownBreak:
    """``package`` in ``versions`` together with ``other`` in ``other_versions`` is broken: ``effect``."""

    package: str
    versions: str
    other: str
    other_versions: str
    effect: str
    fix: str

    def applies(self, installed: Mapping[str, str]) -> bool:
        return _within(installed.get(self.package), self.versions) and _within(
            installed.get(self.other), self.other_versions
        )


KNOWN_BREAKS: tuple[KnownBreak, ...] = (
    KnownBreak(
        "prefect",
        ">=3.8,<3.10",
        "sqlalchemy",
        ">=2.1.0.dev0",
        effect="the Prefect server's scheduler fails every loop (\"Can't evaluate bulk DML statement\" in "
        "_insert_scheduled_flow_runs) and never creates a scheduled run: the nightly, after-deadline "
        "and deadline-reminder deployments would never run",
        fix="install SQLAlchemy 2.0.x (the project's requirements.lock pins it: `make setup`)",
    ),
    KnownBreak(
        "prefect",
        ">=3.8,<3.10",
        "fastapi",
        ">=0.155",
        effect="the Prefect server fails at import (`Body() ... min_items`): no API, no schedules, no notifications",
        fix="install fastapi 0.140.13 (pinned in requirements.lock: `make setup`)",
    ),
)

WATCHED = tuple(sorted({b.package for b in KNOWN_BREAKS} | {b.other for b in KNOWN_BREAKS}))


def _within(version: str | None, specifiers: str) -> bool:
    if version is None:
        return False
    try:
        return SpecifierSet(specifiers).contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


def installed_versions(names: Iterable[str] = WATCHED) -> dict[str, str]:
    """The installed version of each distribution in ``names`` (absent ones left out)."""
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def broken_combinations(installed: Mapping[str, str], known: Iterable[KnownBreak] = KNOWN_BREAKS) -> list[str]:
    """One sentence per known-broken combination present in ``installed`` (empty: none)."""
    return [
        f"{b.package} {installed[b.package]} with {b.other} {installed[b.other]}: {b.effect}; fix: {b.fix}"
        for b in known
        if b.applies(installed)
    ]


def require_working_versions(installed: Mapping[str, str] | None = None) -> None:
    """Raise ``ConfigurationError`` naming every known-broken combination installed."""
    problems = broken_combinations(installed_versions() if installed is None else installed)
    if problems:
        raise ConfigurationError("known-broken package versions installed — " + " | ".join(problems))
