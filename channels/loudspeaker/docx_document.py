"""The bulletin outline as a Word document (python-docx)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt, RGBColor

from channels.loudspeaker.outline import (
    EMPTY,
    HEADING,
    ITEM,
    META,
    NOTE,
    SUBTITLE,
    TITLE,
    VARIANT_LABEL,
    Block,
)

FONT_NAME = "Times New Roman"  # the font of official Vietnamese documents
FONT_SIZE = Pt(14)

# Every script slot of w:rFonts, so Word never substitutes a font for
# Vietnamese letters it files under another script.
_FONT_SLOTS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
# Theme references take precedence over the explicit names; drop them.
_THEME_SLOTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
_BLACK = RGBColor(0, 0, 0)


def _set_fonts(rpr: BaseOxmlElement) -> None:
    """Point every script slot of an ``w:rPr`` element at Times New Roman, in Vietnamese."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in _THEME_SLOTS:
        fonts.attrib.pop(qn(slot), None)
    for slot in _FONT_SLOTS:
        fonts.set(qn(slot), FONT_NAME)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")


def _style_document(document: DocxDocument) -> None:
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _set_fonts(rpr)
    for name, size, bold in (
        ("Normal", FONT_SIZE, None),
        ("Title", Pt(16), True),
        ("Heading 1", FONT_SIZE, True),
        ("Heading 2", FONT_SIZE, True),
    ):
        style = styles[name]
        style.font.name = FONT_NAME
        style.font.size = size
        style.font.bold = bold
        if name != "Normal":
            style.font.color.rgb = _BLACK
            style.font.italic = False
        _set_fonts(style.element.get_or_add_rPr())
    normal = styles["Normal"].paragraph_format
    normal.space_after = Pt(6)
    normal.line_spacing = 1.15
    for name in ("Heading 1", "Heading 2"):
        styles[name].paragraph_format.space_before = Pt(12)
        styles[name].paragraph_format.space_after = Pt(6)
    # The default template's Title has a bottom border meant for a designed
    # cover; an official document does not carry it.
    title_ppr = styles["Title"].element.get_or_add_pPr()
    border = title_ppr.find(qn("w:pBdr"))
    if border is not None:
        title_ppr.remove(border)


def _page_setup(document: DocxDocument) -> None:
    # A4 with the margins of Nghị định 30/2020/NĐ-CP (left 30 mm, others 20 mm).
    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = Mm(30)
        section.right_margin = section.top_margin = section.bottom_margin = Mm(20)


def set_core_properties(
    document: DocxDocument,
    *,
    title: str,
    author: str,
    subject: str = "",
    category: str = "",
    now: datetime | None = None,
) -> None:
    """Replace python-docx's template properties ("python-docx", 2013) with the real ones.

    Word, file managers and archives show these fields; a bulletin must say which
    unit issued it and when, not name the library or its template's date.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    props = document.core_properties
    props.title = title
    props.subject = subject
    props.author = author
    props.last_modified_by = author
    props.comments = ""
    props.keywords = ""
    props.category = category
    props.language = "vi-VN"
    props.revision = 1
    props.created = moment
    props.modified = moment


def build_docx(
    title: str,
    blocks: Sequence[Block],
    *,
    author: str,
    subject: str = "",
    now: datetime | None = None,
) -> bytes:
    """Render outline blocks as DOCX bytes issued by ``author`` (the issuing unit)."""
    document = Document()
    _style_document(document)
    _page_setup(document)
    set_core_properties(
        document,
        title=title,
        author=author,
        subject=subject,
        category="Bản tin truyền thanh",
        now=now,
    )
    for kind, text in blocks:
        if kind == TITLE:
            paragraph = document.add_paragraph(text, style="Title")
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == HEADING:
            document.add_heading(text, level=1)
        elif kind == ITEM:
            document.add_heading(text, level=2)
        elif kind in (SUBTITLE, NOTE):
            paragraph = document.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run(text).italic = kind == SUBTITLE
        elif kind in (META, EMPTY):
            document.add_paragraph().add_run(text).italic = True
        elif kind == VARIANT_LABEL:
            run = document.add_paragraph().add_run(text)
            run.bold = run.italic = True
        else:
            document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
