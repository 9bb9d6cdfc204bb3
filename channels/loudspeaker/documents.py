"""The bulletin as documents an operator downloads: TXT, DOCX and PDF."""

from __future__ import annotations

from channels.loudspeaker.bulletin import Bulletin
from channels.loudspeaker.outline import (
    BODY,
    EMPTY,
    HEADING,
    ITEM,
    SPOKEN,
    VARIANT,
    VARIANT_LABEL,
    outline,
)


def _blank_before(previous: str, kind: str) -> bool:
    """Blank lines keep the blocks apart on a narrow phone screen."""
    if previous == HEADING or kind in (ITEM, VARIANT_LABEL):
        return True
    if kind in (BODY, VARIANT):
        return previous != VARIANT_LABEL
    return kind in (SPOKEN, EMPTY) and previous != SPOKEN


def render_txt(bulletin: Bulletin) -> str:
    """Plain UTF-8 text (NFC) for a phone screen: short blocks, blank lines, no wide tables."""
    lines: list[str] = []
    previous = ""
    for kind, text in outline(bulletin):
        if kind == HEADING:
            lines += ["", "", f"=== {text} ==="]
        else:
            if lines and _blank_before(previous, kind):
                lines.append("")
            lines.append(text)
        previous = kind
    return "\n".join(lines) + "\n"


def render_docx(bulletin: Bulletin) -> bytes:
    """A Word document in Times New Roman 14 pt, one heading per session."""
    # Imported here: python-docx and fpdf2 take about 0.3 s to import, which the
    # dispatcher and CLI (they load the adapter through the registry) never need.
    from channels.loudspeaker.docx_document import build_docx

    return build_docx(
        bulletin.title,
        outline(bulletin),
        author=_issuer(bulletin),
        subject=f"Bản tin ngày {bulletin.day:%d/%m/%Y}",
    )


def render_pdf(bulletin: Bulletin) -> bytes:
    """A PDF embedding the shipped DejaVu fonts, so any machine shows the Vietnamese letters."""
    from channels.loudspeaker.pdf_document import build_pdf

    return build_pdf(bulletin.title, outline(bulletin), author=_issuer(bulletin))


def _issuer(bulletin: Bulletin) -> str:
    """Who issues the bulletin: the station template's issuer, else the commune's station."""
    return bulletin.issuer or f"Đài truyền thanh {bulletin.commune_kind} {bulletin.commune_name}"
