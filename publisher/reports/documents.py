"""The results report as DOCX (administrative layout) and as XLSX (one sheet per table)."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from publisher.planning.vietnamese_dates import LOCAL_TZ
from publisher.reports.docx_layout import (
    Letterhead,
    Signature,
    administrative_document,
    line,
    to_bytes,
)
from publisher.reports.tables import (
    DATE,
    LINK,
    NUMBER,
    Table,
    detail_table,
    report_tables,
)

ROMAN = (
    *("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"),
    *("XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX"),
)
TEXT_WIDTH_MM = 164  # A4 less the left and right margins


def number_text(value: int) -> str:
    """A whole number as Vietnamese writes it: 1.234."""
    return f"{value:,}".replace(",", ".")


def cell_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == NUMBER and isinstance(value, int):
        return number_text(value)
    if isinstance(value, datetime):
        return f"{value.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def subject_of(report: dict[str, Any]) -> str:
    first = date.fromisoformat(report["period"]["from"])
    last = date.fromisoformat(report["period"]["to"])
    subject = (
        "Kết quả tuyên truyền vận động hiến máu tình nguyện "
        f"từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y}"
    )
    if report["campaign"]:
        subject += f" ({report['campaign']['name']})"
    return subject


def _write_table(document: DocxDocument, table: Table) -> None:
    if not table.rows:
        line(document, "Không có số liệu trong kỳ báo cáo.", italic=True)
        return
    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = document.styles["Table Grid"]
    total = sum(c.width for c in table.columns)
    widths = [Mm(TEXT_WIDTH_MM * c.width / total) for c in table.columns]
    for cell, column, width in zip(grid.rows[0].cells, table.columns, widths, strict=True):
        cell.width = width
        line(
            cell, column.title, bold=True, size=Pt(12), align=WD_ALIGN_PARAGRAPH.CENTER, first=True
        )
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, column, value, width in zip(cells, table.columns, row, widths, strict=True):
            cell.width = width
            align = WD_ALIGN_PARAGRAPH.RIGHT if column.kind == NUMBER else None
            line(cell, cell_text(value, column.kind), size=Pt(12), align=align, first=True)


def results_docx(report: dict[str, Any], head: Letterhead, signature: Signature) -> bytes:
    """The results report in the administrative layout, every figure from ``report``."""
    tables = [t for t in report_tables(report) if t.in_docx]

    def body(document: DocxDocument) -> None:
        intro = document.add_paragraph()
        intro.paragraph_format.first_line_indent = Mm(10)
        intro.add_run(
            f"{head.issuing_body} báo cáo kết quả đăng tải và phát thanh tin bài tuyên truyền "
            f"vận động hiến máu tình nguyện từ ngày "
            f"{date.fromisoformat(report['period']['from']):%d/%m/%Y} đến ngày "
            f"{date.fromisoformat(report['period']['to']):%d/%m/%Y} như sau:"
        )
        for number, table in zip(ROMAN[: len(tables)], tables, strict=True):
            document.add_heading(f"{number}. {table.title.upper()}", level=2)
            _write_table(document, table)
            if table.note:
                line(document, table.note, italic=True)

    document = administrative_document(head, "BÁO CÁO", subject_of(report), body, signature)
    return to_bytes(document)


def _xlsx_value(value: Any) -> Any:
    # Excel has no time zones: times are written as the local wall clock.
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).replace(tzinfo=None)
    return value


def results_xlsx(report: dict[str, Any]) -> bytes:
    """One sheet per table, numbers and dates as such, headers frozen; then every row."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in [*report_tables(report), detail_table(report)]:
        sheet = workbook.create_sheet(table.title[:31])
        sheet.append([column.title for column in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in table.rows:
            sheet.append([_xlsx_value(value) for value in row])
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = 14 if column.kind != LINK else 50
            for cell in sheet[letter][1:]:
                if isinstance(cell.value, datetime):
                    cell.number_format = "dd/mm/yyyy hh:mm"
                elif isinstance(cell.value, date) or column.kind == DATE:
                    cell.number_format = "dd/mm/yyyy"
                elif column.kind == LINK and cell.value:
                    cell.hyperlink = cell.value
                elif column.kind == NUMBER:
                    cell.number_format = "#,##0"
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
