"""Signed consent forms: a PDF or an image, decoded for real before it is kept.

A PDF is parsed with pypdf (every page read; encrypted or damaged files refused); an
image goes through the poster pipeline (Pillow decodes every pixel, metadata such as GPS
position is dropped on re-encoding). Anything else is refused.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from flask import Response

from content_library.assets import AssetRejected, process_image

# A scanned page or a phone photo of one: a few hundred kilobytes; 5 MB is generous.
FORM_MAX_BYTES = 5 * 1024 * 1024
FORM_MAX_PAGES = 50
PDF_MIME = "application/pdf"


class FormRejected(ValueError):
    """The upload is not an acceptable form; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class DecodedForm:
    data: bytes
    mime: str
    pages: int
    sha256: str


def decode_form(raw: bytes, *, max_bytes: int = FORM_MAX_BYTES) -> DecodedForm:
    """Check ``raw`` and return what to keep; :class:`FormRejected` says why not."""
    if not raw:
        raise FormRejected("Tệp rỗng / the file is empty")
    if len(raw) > max_bytes:
        raise FormRejected(
            f"Tệp quá lớn (tối đa {max_bytes // (1024 * 1024)} MB) "
            f"/ the form exceeds {max_bytes} bytes",
            413,
        )
    if raw.lstrip()[:5] == b"%PDF-":
        return _pdf(raw)
    return _image(raw, max_bytes)


def _pdf(raw: bytes) -> DecodedForm:
    # Imported here: only the pages that take a form need the PDF reader, and every worker
    # and web process would otherwise carry it.
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        if reader.is_encrypted:
            raise FormRejected(
                "Tệp PDF được đặt mật khẩu; hãy gửi bản không khoá / encrypted PDFs are refused"
            )
        pages = len(reader.pages)
        if pages == 0:
            raise FormRejected("Tệp PDF không có trang nào / the PDF has no page")
        if pages > FORM_MAX_PAGES:
            raise FormRejected(
                f"Tệp PDF quá {FORM_MAX_PAGES} trang / the PDF has more than {FORM_MAX_PAGES} pages"
            )
        for page in reader.pages:
            # Reading each page's contents finds damage a page count alone would not.
            page.get_contents()
    except FormRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise FormRejected(
            f"Tệp PDF bị hỏng, không đọc được / the PDF is damaged ({type(exc).__name__})"
        ) from None
    return DecodedForm(raw, PDF_MIME, pages, hashlib.sha256(raw).hexdigest())


def _image(raw: bytes, max_bytes: int) -> DecodedForm:
    try:
        image = process_image(raw, max_bytes=max_bytes, max_pixels=40_000_000)
    except AssetRejected as exc:
        message = str(exc)
        if "không đọc được" in message.lower() or "PNG, JPEG" in message:
            raise FormRejected(
                "Chỉ nhận tệp PDF hoặc ảnh PNG, JPEG, WebP "
                "/ the form must be a PDF or a PNG, JPEG or WebP image",
                415,
            ) from None
        raise FormRejected(message) from None
    return DecodedForm(image.data, image.mime, 1, image.sha256)


EXTENSIONS = {PDF_MIME: "pdf", "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def form_download(consent_id: int, data: bytes, mime: str) -> Response:
    """The kept form as a download named without the person (it outlives the session)."""
    response = Response(data, mimetype=mime)
    ext = EXTENSIONS.get(mime, "bin")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="giay-dong-y-{consent_id}.{ext}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
