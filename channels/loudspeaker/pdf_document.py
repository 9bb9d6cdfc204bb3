"""The bulletin outline as a PDF (fpdf2) with the DejaVu fonts shipped in ``fonts/``.

Lines are wrapped here, word by word with cached widths, rather than by
fpdf2's ``multi_cell``: its line breaker measures text character by character
and would take most of the rendering budget (about 150 ms per bulletin).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF

from channels.loudspeaker.outline import (
    BODY,
    EMPTY,
    HEADING,
    ITEM,
    META,
    NOTE,
    SPOKEN,
    SUBTITLE,
    TITLE,
    VARIANT,
    VARIANT_LABEL,
    Block,
)

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "DejaVu"
REGULAR_FONT = FONTS_DIR / "DejaVuSans.ttf"
BOLD_FONT = FONTS_DIR / "DejaVuSans-Bold.ttf"

# kind -> (style, size in pt, space before in mm, centred)
_STYLES: dict[str, tuple[str, float, float, bool]] = {
    TITLE: ("B", 15, 0, True),
    SUBTITLE: ("", 12, 1, True),
    NOTE: ("", 10, 1, True),
    HEADING: ("B", 13, 7, False),
    SPOKEN: ("", 12, 2, False),
    EMPTY: ("", 12, 2, False),
    ITEM: ("B", 12, 5, False),
    META: ("", 10, 1, False),
    BODY: ("", 12, 2, False),
    VARIANT_LABEL: ("B", 11, 3, False),
    VARIANT: ("", 11, 1, False),
}
_LINE_HEIGHT = 0.5  # mm per pt of font size, about 1.4 line spacing


class _Writer:
    """Wraps and writes paragraphs, caching word widths per font and size."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.widths: dict[tuple[str, float, str], float] = {}

    def width(self, style: str, size: float, word: str) -> float:
        key = (style, size, word)
        cached = self.widths.get(key)
        if cached is None:
            cached = self.widths[key] = self.pdf.get_string_width(word)
        return cached

    def wrap(self, text: str, style: str, size: float, available: float) -> list[str]:
        space = self.width(style, size, " ")
        lines: list[str] = []
        current: list[str] = []
        used = 0.0
        for word in text.split():
            word_width = self.width(style, size, word)
            extra = word_width + (space if current else 0.0)
            if current and used + extra > available:
                lines.append(" ".join(current))
                current, used = [], 0.0
                extra = word_width
            if not current and word_width > available:
                # A word wider than the page (a long link): cut it by characters.
                lines += self._cut(word, style, size, available)
                continue
            current.append(word)
            used += extra
        if current:
            lines.append(" ".join(current))
        return lines

    def _cut(self, word: str, style: str, size: float, available: float) -> list[str]:
        pieces: list[str] = []
        piece = ""
        for char in word:
            if piece and self.pdf.get_string_width(piece + char) > available:
                pieces.append(piece)
                piece = ""
            piece += char
        return [*pieces, piece] if piece else pieces

    def paragraph(self, kind: str, text: str) -> None:
        style, size, before, centred = _STYLES.get(kind, _STYLES[BODY])
        pdf = self.pdf
        pdf.set_font(FONT_FAMILY, style, size)
        height = size * _LINE_HEIGHT
        lines = self.wrap(text, style, size, pdf.epw)
        # Keep a heading with the first lines that follow it.
        if kind in (HEADING, ITEM) and pdf.will_page_break(before + height * 3):
            pdf.add_page()
        elif pdf.get_y() > pdf.t_margin + 1:
            pdf.ln(before)
        for line in lines:
            pdf.cell(
                w=pdf.epw,
                h=height,
                text=line,
                align="C" if centred else "L",
                new_x="LMARGIN",
                new_y="NEXT",
            )


def build_pdf(title: str, blocks: Sequence[Block], *, author: str = "") -> bytes:
    """Render outline blocks as PDF bytes (A4), issued by ``author`` (the issuing unit)."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(left=25, top=20, right=20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font(FONT_FAMILY, "", str(REGULAR_FONT))
    pdf.add_font(FONT_FAMILY, "B", str(BOLD_FONT))
    pdf.set_title(title)
    pdf.set_lang("vi")
    pdf.set_creator("campaign publisher")
    if author:
        pdf.set_author(author)
    pdf.add_page()
    writer = _Writer(pdf)
    for kind, text in blocks:
        writer.paragraph(kind, text)
    return bytes(pdf.output())
