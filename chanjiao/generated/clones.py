"""Cloning a submission file: the same file under another consortium's id and name.

A clone keeps its source's format, encoding and bytes, except the texts that name the source: in a workbook,
every cell text (inline or shared strings) holding the source's id or name is swapped and written back the
way openpyxl writes it, the other parts and every entry's metadata (the sample's fixed entry times, the order)
kept; a CSV or JSON file is swapped as text in its own encoding (a BOM kept). The national generator clones
the sample's files this way, and the report benchmark clones a province's.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

_ASCII_WORD = re.compile(r"[0-9A-Za-z]")
_XML_TEXT = re.compile(rb"(<t(?:\s[^>]*)?>)([^<]*)(</t>)")
_XLSX_TEXT_PARTS = re.compile(r"xl/(worksheets/[^/]+\.xml|sharedStrings\.xml)")


def swap_pattern(swaps: dict[str, str]) -> re.Pattern[str]:
    """One regex for all of ``swaps`` (longest first); an id such as ``HN-2024-01`` only matches whole
    (not inside ``HN-2024-010``)."""
    if not swaps:
        return re.compile(r"(?!)")  # nothing to swap: never matches
    parts = []
    for old in sorted(swaps, key=len, reverse=True):
        part = re.escape(old)
        if _ASCII_WORD.match(old[:1]):
            part = r"(?<![0-9A-Za-z])" + part
        if _ASCII_WORD.match(old[-1:]):
            part += r"(?![0-9A-Za-z])"
        parts.append(part)
    return re.compile("|".join(parts))


def swap_text(text: str, swaps: dict[str, str], pattern: re.Pattern[str] | None = None) -> tuple[str, int]:
    """``text`` with every occurrence of a key of ``swaps`` replaced by its value; and how many there were."""
    if not swaps:
        return text, 0
    pattern = pattern or swap_pattern(swaps)
    return pattern.subn(lambda m: swaps[m.group(0)], text)


def _xml_escape(text: str) -> bytes:
    # As openpyxl writes cell text: markup characters escaped, anything outside ASCII as a character reference.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return escaped.encode("ascii", "xmlcharrefreplace")


class FileTemplate:
    """A submission file prepared for cloning many times under different ids and names.

    ``keys`` are the strings a clone replaces (the source's id, name and name variants): the text that holds
    one of them is found once, here; :meth:`render` then only swaps those texts. A workbook's cell texts
    (inline or shared strings, whose non-ASCII characters openpyxl writes as character references) are
    swapped one by one and written back the way openpyxl writes them; every other part of the archive and
    every entry's metadata (the sample's fixed entry times, the order) stay as they were, so the result is
    deterministic. CSV and JSON files are swapped as text in their own encoding (a BOM kept).
    """

    def __init__(self, content: bytes, fmt: str, encoding: str | None, keys: Iterable[str]) -> None:
        self.fmt, self.encoding = fmt, encoding or "utf-8"
        self.pattern = swap_pattern(dict.fromkeys(keys, ""))
        self.entries: list[tuple[zipfile.ZipInfo, list[bytes | str]]] = []
        self.text = ""
        if fmt != "xlsx":
            self.text = content.decode(self.encoding)
            return
        with zipfile.ZipFile(io.BytesIO(content)) as source:
            for info in source.infolist():
                data = source.read(info)
                segments: list[bytes | str] = []
                position = 0
                if _XLSX_TEXT_PARTS.fullmatch(info.filename):
                    for match in _XML_TEXT.finditer(data):
                        text = html.unescape(match.group(2).decode("utf-8"))
                        if self.pattern.search(text):
                            segments += [data[position : match.start(2)], text]
                            position = match.end(2)
                segments.append(data[position:])
                self.entries.append((info, segments))

    def render(self, swaps: dict[str, str]) -> tuple[bytes, int]:
        """The file with every key replaced by ``swaps[key]``; and how many replacements were made."""

        def swap(text: str) -> tuple[str, int]:
            return self.pattern.subn(lambda m: swaps[m.group(0)], text)

        if self.fmt != "xlsx":
            text, count = swap(self.text)
            return text.encode(self.encoding), count
        count = 0
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info, segments in self.entries:
                parts = []
                for segment in segments:
                    if isinstance(segment, str):
                        segment, n = swap(segment)
                        count += n
                        segment = _xml_escape(segment)
                    parts.append(segment)
                entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.create_system = info.create_system
                entry.external_attr = info.external_attr
                target.writestr(entry, b"".join(parts))
        return out.getvalue(), count


def clone_bytes(content: bytes, fmt: str, encoding: str | None, swaps: dict[str, str]) -> tuple[bytes, int]:
    """A submission file's bytes with the swaps applied to its text (every cell of a workbook, the whole
    text of a CSV or JSON file, in the file's own encoding); and how many replacements were made."""
    return FileTemplate(content, fmt, encoding, swaps).render(swaps)


def clone_file(source: Path, target: Path, fmt: str, encoding: str | None, swaps: dict[str, str]) -> int:
    """Write ``source`` to ``target`` with every occurrence of the consortium's id and name (the keys of
    ``swaps``) replaced by the clone's. Returns the number of replacements."""
    content, count = clone_bytes(Path(source).read_bytes(), fmt, encoding, swaps)
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_bytes(content)
    return count
