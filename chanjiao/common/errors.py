"""Typed errors with context, and the one place that turns them into user-facing messages."""

from __future__ import annotations

import re


class ChanjiaoError(Exception):
    """Base class: every error the pipeline raises on purpose carries the context a person needs."""

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        consortium: str | None = None,
        field: str | None = None,
        row: int | str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.file = file
        self.consortium = consortium
        self.field = field
        self.row = row

    def context(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.consortium:
            parts.append(f"consortium {self.consortium}")
        if self.field and self.field != "-":
            parts.append(f"field {self.field}")
        return ": ".join(parts)

    def __str__(self) -> str:
        context = self.context()
        text = f"{context}: {self.reason}" if context else self.reason
        return re.sub(r"\s*[\r\n]+\s*", " ", text)  # always one line, whatever a file or parser put in it


class RejectedFile(ChanjiaoError):
    """A submission file that cannot be accepted as a version (docs/DOMAIN.md, "Rejected")."""


class ReferenceDataError(ChanjiaoError):
    """A registry, calendar or catalogue file that is malformed: the run cannot go on without it."""


class CatalogueError(ReferenceDataError):
    """The field catalogue itself is malformed (unknown type, bad rule, unknown field in a rule)."""


class NotFoundError(ChanjiaoError):
    """Something an operator named (a consortium, a version) does not exist."""


class ConfigurationError(ChanjiaoError):
    """Settings or the machine are not as the pipeline needs (paths, fonts, database URL)."""


class WarehouseUnavailable(ConfigurationError):
    """The warehouse database did not answer (refused, dropped, timed out): an outage that may pass, such as
    a PostgreSQL fail-over, so the tasks at I/O boundaries retry it (tasks/retry.py)."""


class RunLocked(ChanjiaoError):
    """Another run holds the lock on the same province (or the inbox): runs never interleave."""


def mask_password(url: str) -> str:
    """A URL fit to print: its password, if any, as ``***`` (``http://user:***@host/api``), in the user part
    and in a ``password=`` query value (libpq-style URLs)."""
    from urllib.parse import urlsplit, urlunsplit

    url = re.sub(r"(?i)([?&](?:password|passwd|pwd)=)[^&#]*", r"\1***", url)
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:  # not a URL we can take apart: hide whatever precedes an @
        return re.sub(r"//[^/@]*@", "//***@", url)
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def mask_passwords_in(text: str) -> str:
    """Any text (an exception message, a log line) with the password of every URL in it as ``***``."""
    text = re.sub(r"(?i)([?&](?:password|passwd|pwd)=)[^&#\s]*", r"\1***", text)
    return re.sub(r"(//[^/:@\s]+:)[^@\s/]+@", r"\1***@", text)


def user_message(exc: BaseException) -> str:
    """One line for a person: our own errors say where and why, anything else says what it was."""
    if isinstance(exc, ChanjiaoError):
        return f"error: {exc}"
    return f"unexpected error ({type(exc).__name__}): {exc}"
