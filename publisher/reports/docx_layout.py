"""Administrative documents in the layout of Nghị định 30/2020/NĐ-CP, with python-docx.

:func:`administrative_document` lays out what every such document shares (the issuing
body under its superior, the national motto, number and symbol, place and date, the
document's kind and subject, "Nơi nhận" and the signature) around a body that the
caller writes; the results report and any other document (a commendation proposal, a
plan) call it with their own body. The result is an ordinary Word document: styles,
tables and paragraphs that Word and LibreOffice edit like any other.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

FONT_NAME = "Times New Roman"
BODY_SIZE = Pt(14)
HEADER_SIZE = Pt(13)
SMALL_SIZE = Pt(12)
# A4 and the decree's margins: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGINS = {"top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(16)}
MOTTO_COUNTRY = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


@dataclass(frozen=True)
class Letterhead:
    """Who issues the document, under which number, where and when."""

    superior_body: str
    issuing_body: str
    symbol: str  # "BC-SYT": the number is left for the clerk who registers the document
    place: str
    day: date
    number: str = ""


@dataclass(frozen=True)
class Signature:
    """The signer's title and name, and the recipients listed under "Nơi nhận"."""

    title: str
    name: str
    recipients: Sequence[str] = field(default_factory=tuple)
    authority: str = ""  # "KT. GIÁM ĐỐC", "TL. GIÁM ĐỐC" ...


def vietnamese_date(place: str, day: date) -> str:
    """ "Lai Châu, ngày 04 tháng 02 năm 2026": days below 10 and months below 3 take a 0."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def _fonts(element: OxmlElement) -> None:
    fonts = element.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        element.insert(0, fonts)
    # Theme fonts win over named ones (Word's headings use them): drop them.
    for slot in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(slot), None)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT_NAME)


def _page(document: DocxDocument) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    normal = document.styles["Normal"]
    normal.font.name = FONT_NAME
    normal.font.size = BODY_SIZE
    _fonts(normal.element.get_or_add_rPr())
    normal.paragraph_format.space_after = Pt(0)
    for name in ("Heading 1", "Heading 2", "Table Grid"):
        style = document.styles[name]
        style.font.name = FONT_NAME
        _fonts(style.element.get_or_add_rPr())
        if name.startswith("Heading"):
            style.font.size = BODY_SIZE
            style.font.bold = True
            style.font.italic = False
            style.font.color.rgb = None
            style.paragraph_format.space_before = Pt(6)
            style.paragraph_format.space_after = Pt(3)


def line(
    container: DocxDocument | _Cell,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: Pt | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
    first: bool = False,
) -> Paragraph:
    """A paragraph of one run; ``first`` reuses a table cell's empty first paragraph."""
    paragraph = container.paragraphs[0] if first else container.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    if size is not None:
        run.font.size = size
    return paragraph


def _rule_below(paragraph: Paragraph) -> None:
    """A short line under the text, as the decree draws under the body name and motto."""
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    ppr.append(border)


def _header(document: DocxDocument, head: Letterhead) -> None:
    table = document.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    left, right = table.rows[0].cells
    for cell, width in ((left, Mm(65)), (right, Mm(100))):
        cell.width = width
    centre = WD_ALIGN_PARAGRAPH.CENTER
    line(left, head.superior_body.upper(), size=HEADER_SIZE, align=centre, first=True)
    line(left, head.issuing_body.upper(), bold=True, underline=True, size=HEADER_SIZE, align=centre)
    line(right, MOTTO_COUNTRY, bold=True, size=Pt(12.5), align=centre, first=True)
    motto = line(right, MOTTO, bold=True, size=BODY_SIZE, align=centre)
    motto.runs[0].underline = True
    number_cell, date_cell = table.rows[1].cells
    number = head.number or "     "
    line(number_cell, f"Số: {number}/{head.symbol}", size=HEADER_SIZE, align=centre, first=True)
    line(
        date_cell,
        vietnamese_date(head.place, head.day),
        italic=True,
        size=BODY_SIZE,
        align=centre,
        first=True,
    )


def _closing(document: DocxDocument, signature: Signature) -> None:
    document.add_paragraph()
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = table.rows[0].cells
    left.width, right.width = Mm(80), Mm(85)
    line(left, "Nơi nhận:", bold=True, italic=True, size=SMALL_SIZE, first=True)
    for recipient in signature.recipients:
        line(left, f"- {recipient}", size=Pt(11))
    centre = WD_ALIGN_PARAGRAPH.CENTER
    first = True
    if signature.authority:
        line(right, signature.authority.upper(), bold=True, align=centre, first=True)
        first = False
    line(right, signature.title.upper(), bold=True, align=centre, first=first)
    for _ in range(4):
        line(right, "", align=centre)  # room for the signature and the seal
    line(right, signature.name, bold=True, align=centre)


def administrative_document(
    head: Letterhead,
    kind: str,
    subject: str,
    body: Callable[[DocxDocument], None],
    signature: Signature,
) -> DocxDocument:
    """A document of ``kind`` ("BÁO CÁO", "TỜ TRÌNH" ...) about ``subject``; ``body`` writes
    the sections between the title and the signature."""
    document = Document()
    _page(document)
    _header(document, head)
    document.add_paragraph()
    line(document, kind.upper(), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    title = line(document, subject, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _rule_below(title)
    document.add_paragraph()
    body(document)
    _closing(document, signature)
    return document


def to_bytes(document: DocxDocument) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
