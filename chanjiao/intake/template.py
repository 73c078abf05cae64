"""The blank submission workbook, generated from the field catalogue (labels, units, limits as comments).

Submitters fill column 填报值 (and 说明 to explain an unusual value) and send the file back; its layout is
exactly what :mod:`chanjiao.intake.readers` reads, so a template round-trips through ingest.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from chanjiao.intake.readers import HEADER, SHEET_NAME
from chanjiao.reference.catalogue import Catalogue, Field
from chanjiao.reference.labels import kind_full_label, label_or_key, section_label, type_hint

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FONT = Font(bold=True)


def _number(value) -> str:
    return format(value.normalize(), "f") if value is not None else ""


def field_hint(field: Field, kind: str) -> str:
    """What a submitter must know about one field: type, unit, limits, whether required, the check."""
    lines = [f"{field.label_zh}（{field.code}）", f"类型：{type_hint(field.type)}"]
    if field.unit:
        lines.append(f"单位：{field.unit}")
    if field.min is not None or field.max is not None:
        lines.append(f"取值范围：{_number(field.min)} ～ {_number(field.max)}")
    if field.max_chars:
        lines.append(f"字数上限：{field.max_chars} 字")
    if field.type == "enum":
        lines.append("可选：" + " / ".join(f"{v}（{label_or_key('kind', v)}）" for v in field.enum_values))
    lines.append("必填" if field.required(kind) else "选填")
    if field.is_personal:
        lines.append("个人信息：报告中一律脱敏显示")
    if field.check_note:
        lines.append(f"说明：{field.check_note}")
    return "\n".join(lines)


def blank_workbook(catalogue: Catalogue, year: int, kind: str) -> bytes:
    """The template for one year and kind as .xlsx bytes, with year and kind already filled in."""
    if kind not in ("plan", "summary"):
        raise ValueError(f"kind must be plan or summary, not {kind!r}")
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    sheet.append(list(HEADER))
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
    prefilled = {"year": year, "kind": kind}
    bools = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    kinds = DataValidation(type="list", formula1='"plan,summary"', allow_blank=False)
    sheet.add_data_validation(bools)
    sheet.add_data_validation(kinds)
    for row_number, field in enumerate(catalogue.for_kind(kind), start=2):
        label = field.label_zh + (f"（{field.unit}）" if field.unit else "")
        sheet.append([field.code, label, prefilled.get(field.code), None])
        label_cell, value_cell = sheet.cell(row_number, 2), sheet.cell(row_number, 3)
        label_cell.comment = Comment(field_hint(field, kind), "chanjiao", width=320, height=180)
        if field.required(kind):
            label_cell.font = _REQUIRED_FONT
        if field.type == "date":
            value_cell.number_format = "yyyy-mm-dd"
        elif field.type == "text":
            value_cell.number_format = "@"
            value_cell.alignment = Alignment(wrap_text=True, vertical="top")
        if field.type == "bool":
            bools.add(value_cell)
        if field.code == "kind":
            kinds.add(value_cell)
    sheet.freeze_panes = "C2"
    for column, width in zip("ABCD", (34, 44, 40, 40)):
        sheet.column_dimensions[column].width = width

    guide = book.create_sheet("填报说明")
    guide.append([f"{year} 年市域产教联合体{kind_full_label(kind)}填报模板"])
    guide["A1"].font = Font(bold=True, size=14)
    for line in (
        f"1. 在“{SHEET_NAME}”工作表的“填报值”列填写数据，不要修改“字段代码”列；一个文件只填报一个联合体一年的一份材料。",
        "2. 加粗的字段为必填项；鼠标悬停在“字段名称”上可查看类型、单位、取值范围和字数上限。",
        "3. 日期可写 2025-07-15、2025/7/15 或 2025年7月15日；百分比写 85 或 85%；是/否字段写“是”或“否”。",
        "4. 数值异常但属实的，请在“说明”列写明原因，审核人员据此判断。",
        "5. 报送前须经地市教育行政部门审核同意，并填写审核日期。",
    ):
        guide.append([line])
    guide.append([])
    guide.append(["分组", "字段代码", "字段名称", "类型", "单位", "必填", "取值范围", "字数上限"])
    for cell in guide[guide.max_row]:
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
    for field in catalogue.for_kind(kind):
        limits = (
            f"{_number(field.min)} ～ {_number(field.max)}" if field.min is not None or field.max is not None else ""
        )
        guide.append(
            [
                section_label(field.section),
                field.code,
                field.label_zh,
                type_hint(field.type),
                field.unit,
                "是" if field.required(kind) else "否",
                limits,
                field.max_chars or "",
            ]
        )
    for column, width in zip("ABCDEFGH", (16, 34, 44, 24, 8, 6, 22, 10)):
        guide.column_dimensions[column].width = width

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
