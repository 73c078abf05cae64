"""Workbooks written part by part, not through openpyxl: as Excel and other tools write them, and as an
attacker does.

* :func:`excel_style_xlsx` — a submission workbook the way Excel writes it: shared strings, styles by number
  format, formulas with or without a cached value, a title row above the header, a wrong ``<dimension>``,
  the data sheet not the first, a sheet in another XML encoding;
* hostile archives the intake must reject quickly and in little memory: zip bombs (:func:`zip_bomb_xlsx`,
  :func:`ratio_bomb_xlsx`, :func:`lying_zip_bomb_xlsx`), :func:`many_members_xlsx`, XML entity attacks put
  into a real workbook (:func:`billion_laughs`, :func:`external_entity`), and rows of very many cells
  (:func:`wide_row_xlsx`).

Used by the tests (through tests/builders.py) and benchmarks/hostile_files.py.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable


def _with_doctype(data: bytes, doctype: bytes) -> bytes:
    """Put a DOCTYPE where XML allows it: after the declaration when there is one, else first."""
    if data.startswith(b"<?xml"):
        end = data.index(b"?>") + 2
        return data[:end] + doctype + data[end:]
    return doctype + data


def rewrite_member(content: bytes, member: str, transform: Callable[[bytes], bytes]) -> bytes:
    """The archive ``content`` with one member's bytes passed through ``transform``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, transform(data) if info.filename == member else data)
    return out.getvalue()


def billion_laughs(workbook: bytes) -> bytes:
    """``workbook`` (an openpyxl one) whose sheet XML declares nested entities (the 'billion laughs' attack)."""
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    doctype = f"<!DOCTYPE worksheet [{''.join(entities)}]>".encode()

    def poison(data: bytes) -> bytes:
        return _with_doctype(data, doctype).replace(
            b"<sheetData>", b'<sheetData><row r="99"><c r="A99" t="inlineStr"><is><t>&lol9;</t></is></c></row>', 1
        )

    return rewrite_member(workbook, "xl/worksheets/sheet1.xml", poison)


def external_entity(workbook: bytes, text: str, target: str = "file:///etc/passwd") -> bytes:
    """``workbook`` (an openpyxl one) whose cell holding ``text`` pulls in an external entity (XXE)."""

    def poison(data: bytes) -> bytes:
        doctype = f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "{target}">]>'.encode()
        poisoned = _with_doctype(data, doctype).replace(f"<t>{text}</t>".encode(), b"<t>&xxe;</t>")
        assert b"&xxe;" in poisoned
        return poisoned

    return rewrite_member(workbook, "xl/worksheets/sheet1.xml", poison)


def zip_bomb_xlsx(unpacked_mb: int = 512) -> bytes:
    """A workbook-shaped zip whose sheet inflates to ``unpacked_mb`` MiB of zeros (~1000:1)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                member.write(chunk)
    return out.getvalue()


def ratio_bomb_xlsx() -> bytes:
    """Under the total-size cap but compressed far beyond any real workbook (30 MiB of one byte)."""
    return zip_bomb_xlsx(unpacked_mb=30)


def lying_zip_bomb_xlsx() -> bytes:
    """A bomb whose headers claim a tiny size: zipfile never inflates past the claim, and the CRC fails."""
    content = zip_bomb_xlsx(unpacked_mb=48)
    # Patch the declared uncompressed size (zip64 extra fields, local and central) down to 1 KiB.
    real = zipfile.ZipFile(io.BytesIO(content)).getinfo("xl/worksheets/sheet1.xml").file_size
    patched = content.replace(real.to_bytes(8, "little"), (1024).to_bytes(8, "little"))
    patched = patched.replace(real.to_bytes(4, "little"), (1024).to_bytes(4, "little"))
    assert patched != content
    return patched


def many_members_xlsx(count: int = 5000) -> bytes:
    """A workbook-shaped zip of ``count`` empty members."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for i in range(count):
            archive.writestr(f"xl/media/{i}.bin", b"")
    return out.getvalue()


def excel_style_xlsx(
    cells: list[tuple[str, object, str]], dimension: str = "A1", sheet_encoding: str = "utf-8"
) -> bytes:
    """A workbook written part by part the way Excel and other tools write them, not the way openpyxl does.

    ``cells`` are (code, value, style) rows in 字段代码/填报值 columns, where value is a str (a shared
    string), a number, or ``("=FORMULA", cached)`` (cached None = never calculated); style is "" or
    "percent" (numFmt 9) or "date" (numFmt 14). The <dimension> is deliberately wrong by default, and a
    title row sits above the header, as in many hand-made sheets.
    """
    strings: list[str] = []

    def shared(text: str) -> int:
        if text not in strings:
            strings.append(text)
        return strings.index(text)

    def cell(ref: str, value, style: str) -> str:
        s = {"": "", "percent": ' s="1"', "date": ' s="2"'}[style]
        if isinstance(value, tuple):
            formula, cached = value
            body = f"<f>{formula.lstrip('=')}</f>" + ("" if cached is None else f"<v>{cached}</v>")
            return f'<c r="{ref}"{s}>{body}</c>'
        if isinstance(value, str):
            return f'<c r="{ref}" t="s"{s}><v>{shared(value)}</v></c>'
        return f'<c r="{ref}"{s}><v>{value}</v></c>'

    rows = [
        f'<row r="1">{cell("A1", "2025年度填报表", "")}</row>',
        f'<row r="2">{cell("A2", "字段代码", "")}{cell("B2", "字段名称", "")}{cell("C2", "填报值", "")}'
        f"{cell('D2', '说明', '')}</row>",
    ]
    for number, (code, value, style) in enumerate(cells, start=3):
        rows.append(f'<row r="{number}">{cell(f"A{number}", code, "")}{cell(f"C{number}", value, style)}</row>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{"".join(rows)}</sheetData></worksheet>'
    )
    sst = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">' + "".join(f"<si><t>{t}</t></si>" for t in strings) + "</sst>"
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override '
            'PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="说明" sheetId="2" r:id="rId2"/><sheet name="填报数据" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
            f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/worksheet" '
            f'Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="{rel}/sharedStrings" '
            f'Target="sharedStrings.xml"/><Relationship Id="rId4" Type="{rel}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{main}"><fonts count="1"><font><sz val="11"/>'
            '<name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill>'
            '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf/>'
            '</cellStyleXfs><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="9" applyNumberFormat="1"/>'
            '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
        ),
        "xl/worksheets/sheet2.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData/></worksheet>'
        ),
        "xl/sharedStrings.xml": sst,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8"))
        if sheet_encoding == "utf-8":
            archive.writestr("xl/worksheets/sheet1.xml", sheet.encode("utf-8"))
        else:
            archive.writestr(
                "xl/worksheets/sheet1.xml",
                sheet.replace('encoding="UTF-8"', f'encoding="{sheet_encoding.upper()}"').encode(sheet_encoding),
            )
    return out.getvalue()


def wide_row_xlsx(cells: int = 400_000) -> bytes:
    """One row of very many cells: small on disk, but openpyxl would hold the whole row in memory."""
    row = "".join(f'<c r="A1"><v>{i}</v></c>' for i in range(cells))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData><row r="1">{row}</row></sheetData></worksheet>'
    )
    base = excel_style_xlsx([("consortium_id", "SX-2024-01", "")])
    return rewrite_member(base, "xl/worksheets/sheet1.xml", lambda _: sheet.encode())


def wide_row_under_cap_xlsx() -> bytes:
    """The widest row that still passes the XML size cap: the worst a file can cost openpyxl."""
    return wide_row_xlsx(150_000)
