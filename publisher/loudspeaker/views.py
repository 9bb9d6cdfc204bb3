"""Commune loudspeaker pages: public script downloads and the operator's page.

``/scripts/<code>/<YYYY-MM-DD>.<txt|docx|pdf|wav|mp3|zip>`` is public (scripts are public
information; operators on cheap phones download them without signing in).
``/communes/<code>`` is the operator's page: today's and tomorrow's bulletins, downloads
and the "Đã phát" confirmation, readable by editors, approvers and admins too.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from datetime import date, timedelta
from functools import lru_cache
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BuildError

from channels.loudspeaker import (
    AudioFailed,
    AudioUnavailable,
    Bulletin,
    audio_available,
    duration_text,
    render_audio,
    render_docx,
    render_pdf,
    render_txt,
    vietnamese_date,
)
from content_library.models import Commune
from publisher.auth.models import User
from publisher.db import db
from publisher.delivery.pipeline import publication_published
from publisher.errors import ApiError
from publisher.loudspeaker.audio_renders import on_published
from publisher.loudspeaker.audio_views import bulletin_audio, item_audio, players
from publisher.loudspeaker.bulletins import LOCAL, UnknownCommune, bulletin_for, local_today
from publisher.loudspeaker.confirmations import (
    SLOT_NAMES,
    ConfirmationInvalid,
    confirm_broadcast,
    confirmed_items,
)
from publisher.routing import MAX_ROW_ID, plannable_day
from publisher.security import CSRF_FIELD, check_csrf, csrf_token

loudspeaker = Blueprint("loudspeaker", __name__, template_folder="templates")


@loudspeaker.record_once
def _quiet_font_subsetting(_state: BlueprintSetupState) -> None:
    # fpdf2 subsets the DejaVu fonts with fontTools on every PDF, and fontTools logs some
    # sixty INFO lines each time: with the service's root logger at INFO that floods the
    # log and costs about 80 ms per PDF. Its warnings still come through.
    logging.getLogger("fontTools").setLevel(logging.WARNING)


@loudspeaker.record_once
def _render_audio_on_release(_state: BlueprintSetupState) -> None:
    # Released items queue their day's MP3s in the worker that released them.
    publication_published.connect(on_published)


# Bump when a renderer changes its output, so cached copies are fetched again.
RENDER_VERSION = "2"  # 2: DOCX core properties name the issuing unit
FORMATS = {
    "txt": ("text/plain; charset=utf-8", "inline"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "attachment",
    ),
    "pdf": ("application/pdf", "inline"),
    "wav": ("audio/wav", "attachment"),
    "mp3": ("audio/mpeg", "attachment"),
    "zip": ("application/zip", "attachment"),
}
AUDIO_LABEL = "Bản đọc máy — chỉ để tham khảo"
PACKAGE_LABEL = "Gói cho loa thông minh (ZIP)"
_SCRIPT_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})\.([a-z0-9]{1,5})")
_COMMUNE_CODE = re.compile(r"\d{5}")
NOTE_MAX = 500

# The page's whole stylesheet, inline: one request on a weak connection. The content
# security policy allows exactly this text by its hash and nothing else.
CSS = (
    "body{font:16px/1.45 sans-serif;margin:0 auto;max-width:42em;padding:.5em;color:#111}"
    "h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.15em;margin:1.2em 0 .3em;"
    "border-bottom:2px solid #b00}h3{font-size:1.05em;margin:1em 0 .3em}"
    "p{margin:.3em 0}ol{padding-left:1.3em}li{margin:.6em 0}"
    ".m{color:#555;font-size:.9em}.s{color:#333;font-style:italic}"
    ".t{font-weight:bold;padding:0 .3em;border:1px solid}"
    ".emergency .t{color:#fff;background:#b00}.priority .t{color:#b00}"
    ".v{border-left:3px solid #999;padding-left:.5em;margin:.3em 0}"
    ".ok{color:#060}.err{color:#b00}.f{padding:.4em;border:1px solid}"
    "a{color:#036}button{font-size:1em;padding:.5em 1em;margin:.3em 0}"
    "input[type=text]{width:100%;box-sizing:border-box;font-size:1em}"
)


@lru_cache(maxsize=1)
def _content_security_policy() -> str:
    digest = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'self' data:; "
        "media-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


# --- public scripts ------------------------------------------------------------------


def script_filename(code: str, day: date, fmt: str) -> str:
    """E.g. bantin-03408-2025-06-14.docx; the WAV says it is a draft (ban-nhap)."""
    suffix = "-ban-nhap" if fmt == "wav" else "-goi-phat" if fmt == "zip" else ""
    return f"bantin-{code}-{day.isoformat()}{suffix}.{fmt}"


def spoken_text(bulletin: Bulletin) -> str:
    """What the draft audio reads: each session once, items once (repeats are the reader's)."""
    lines: list[str] = []
    for slot in bulletin.slots:
        lines += slot.opening
        if slot.empty_notice:
            lines.append(slot.empty_notice)
        lines += [entry.item.reading_text for entry in slot.entries]
        lines += slot.closing
    return "\n".join(lines)


# Why a cache: synthesis takes about a second of CPU per bulletin on a public address, and
# every operator of a commune fetches the same one; four bulletins (about 10 MB of WAV
# each) bound the memory. The key is the words read, so a changed bulletin is made anew.
@lru_cache(maxsize=4)
def _draft_audio(text: str) -> bytes:
    return render_audio(text)


def _script_day(filename: str) -> tuple[date, str]:
    match = _SCRIPT_NAME.fullmatch(filename)
    if match is None or match.group(2) not in FORMATS:
        raise ApiError(
            404,
            "Không có bản tin dạng này; dùng .txt, .docx, .pdf, .wav, .mp3 hoặc .zip "
            "/ no such script: use YYYY-MM-DD.txt, .docx, .pdf, .wav, .mp3 or .zip",
        )
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError:
        raise ApiError(404, f"Ngày {match.group(1)} không có thật / not a date") from None
    if not plannable_day(day):
        raise ApiError(404, f"Không có bản tin ngày {day} / no bulletins that day")
    return day, match.group(2)


@loudspeaker.get("/scripts/<code>/<filename>")
def script(code: str, filename: str) -> Response:
    """A commune's bulletin for a day as TXT, DOCX, PDF or draft audio (WAV)."""
    day, fmt = _script_day(filename)
    if fmt == "wav" and not audio_available():
        raise ApiError(
            404,
            "Máy chủ chưa cài espeak-ng nên không có bản đọc máy "
            "/ audio is not available here (espeak-ng is not installed)",
        )
    try:
        if not _COMMUNE_CODE.fullmatch(code):
            raise UnknownCommune(code)
        bulletin = bulletin_for(db.session, code, day)
    except UnknownCommune:
        raise ApiError(404, f"Không có xã, phường mã {code} / unknown commune") from None
    if fmt in ("mp3", "zip"):
        return _rendered_audio(bulletin, fmt, day)
    text = render_txt(bulletin)
    # The TXT holds every word every format shows, so it fingerprints them all; the
    # DOCX and PDF carry creation times and would change their bytes on every request.
    etag = hashlib.sha256(f"{RENDER_VERSION}|{fmt}|{text}".encode()).hexdigest()[:32]
    mimetype, disposition = FORMATS[fmt]
    # Past days change only by rare corrections; today's and later change at release
    # time and on withdrawal, so phones revalidate (cheaply, by ETag) after a minute.
    max_age = 3600 if day < local_today() else 60
    headers = {
        "Cache-Control": f"public, max-age={max_age}",
        "X-Content-Type-Options": "nosniff",
    }
    if request.if_none_match.contains(etag):
        response = Response(status=304, headers=headers)
        response.set_etag(etag)
        return response
    if fmt == "txt":
        body = text.encode("utf-8")
    elif fmt == "docx":
        body = render_docx(bulletin)
    elif fmt == "pdf":
        body = render_pdf(bulletin)
    else:
        try:
            body = _draft_audio(spoken_text(bulletin))
        except AudioUnavailable as error:
            status = 503 if isinstance(error, AudioFailed) else 404
            raise ApiError(status, f"Không tạo được bản đọc máy / audio failed: {error}") from None
    response = Response(body, headers=headers, content_type=mimetype)
    response.headers.set(
        "Content-Disposition", disposition, filename=script_filename(code, day, fmt)
    )
    response.set_etag(etag)
    return response


def _audio_headers(day: date) -> dict[str, str]:
    max_age = 3600 if day < local_today() else 60
    return {"Cache-Control": f"public, max-age={max_age}", "X-Content-Type-Options": "nosniff"}


def _rendered_audio(bulletin: Bulletin, fmt: str, day: date) -> Response:
    """The worker's MP3 or package, by the bulletin's content hash (503 until it is made)."""
    body, mimetype, etag = bulletin_audio(db.session, bulletin, fmt)
    headers = _audio_headers(day)
    if request.if_none_match.contains(etag):
        response = Response(status=304, headers=headers)
    else:
        response = Response(body, headers=headers, content_type=mimetype)
        response.headers.set(
            "Content-Disposition",
            "attachment",
            filename=script_filename(bulletin.commune_code, day, fmt),
        )
    response.set_etag(etag)
    return response


@loudspeaker.get("/audio/items/<key>.mp3")
def item_audio_file(key: str) -> Response:
    """One item read once (the operator page's players); public like the scripts."""
    body, etag = item_audio(db.session, key)
    headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    if request.if_none_match.contains(etag):
        response = Response(status=304, headers=headers)
    else:
        response = Response(body, headers=headers, content_type="audio/mpeg")
    response.set_etag(etag)
    return response


# --- the operator's page ---------------------------------------------------------------


def may_confirm(user: User, code: str) -> bool:
    """Operators confirm for their own commune; admins for any."""
    return user.role == "admin" or (user.role == "operator" and user.commune_code == code)


def may_read(user: User, code: str) -> bool:
    """Operators see only their own commune; editors, approvers and admins see every one."""
    return user.role in ("admin", "approver", "editor") or may_confirm(user, code)


def login_url() -> str:
    target = request.full_path if request.query_string else request.path
    if request.method != "GET":
        target = url_for("loudspeaker.commune_page", code=request.view_args["code"])
    try:
        return url_for("ui.login", next=target)
    except BuildError:  # the UI package is not installed: same address, built by hand
        return "/login?" + urlencode({"next": target})


def _html(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _content_security_policy()
    # Personal (flash messages, the form token): never kept by shared caches.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _message(status: int, title: str, message: str, user: User | None) -> Response:
    body = render_template(
        "loudspeaker/message.html", css=CSS, title=title, message=message, user=user
    )
    return _html(body, status)


def _guard(code: str) -> tuple[User, Commune] | Response:
    """The signed-in user allowed to see this commune, or the answer to send instead."""
    user = g.get("user")
    if user is None:
        return redirect(login_url())
    commune = db.session.get(Commune, code) if _COMMUNE_CODE.fullmatch(code) else None
    if commune is None:
        return _message(404, "Không tìm thấy xã, phường", f"Không có xã, phường mã {code}.", user)
    if not may_read(user, code):
        return _message(
            403,
            "Không có quyền xem trang này",
            "Tài khoản của bạn chỉ xem và xác nhận được bản tin của xã, phường mình.",
            user,
        )
    return user, commune


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@loudspeaker.get("/communes/<code>")
def commune_page(code: str) -> Response:
    """Today's and tomorrow's bulletins, downloads and the per-session "Đã phát" forms."""
    guarded = _guard(code)
    if isinstance(guarded, Response):
        return guarded
    user, commune = guarded
    today = local_today()
    days = []
    for label, day in (("Hôm nay", today), ("Ngày mai", today + timedelta(days=1))):
        bulletin = bulletin_for(db.session, code, day)
        downloads = [
            (fmt.upper(), url_for(".script", code=code, filename=f"{day}.{fmt}"))
            for fmt in ("txt", "docx", "pdf")
        ]
        if not bulletin.is_empty:
            downloads += [
                ("MP3", url_for(".script", code=code, filename=f"{day}.mp3")),
                (PACKAGE_LABEL, url_for(".script", code=code, filename=f"{day}.zip")),
            ]
        if audio_available():
            downloads.append((AUDIO_LABEL, url_for(".script", code=code, filename=f"{day}.wav")))
        days.append(
            {
                "label": label,
                "day": day,
                "date_text": vietnamese_date(day),
                "today": day == today,
                "bulletin": bulletin,
                "players": players(db.session, bulletin),
                "downloads": downloads,
                "confirmable": day == today and may_confirm(user, code),
                "confirmed": confirmed_items(db.session, code, day) if day == today else {},
            }
        )
    body = render_template(
        "loudspeaker/commune.html",
        css=CSS,
        commune=commune,
        user=user,
        days=days,
        duration=duration_text,
        paragraphs=_paragraphs,
        local_time=lambda moment: moment.astimezone(LOCAL).strftime("%H:%M"),
        csrf_field=CSRF_FIELD,
        csrf=csrf_token(),
        flashes=get_flashed_messages(with_categories=True),
        note_max=NOTE_MAX,
    )
    return _html(body)


def _vietnamese(errors: dict[str, str]) -> str:
    """The Vietnamese half of "english / tiếng Việt" messages."""
    return "; ".join(message.rsplit(" / ", 1)[-1] for message in errors.values())


@loudspeaker.post("/communes/<code>/confirm")
def confirm(code: str) -> Response:
    """The "Đã phát" form: record the confirmation, then back to the page with a message."""
    guarded = _guard(code)
    if isinstance(guarded, Response):
        return guarded
    user, commune = guarded
    check_csrf()
    if not may_confirm(user, code):
        return _message(
            403,
            "Không có quyền xác nhận",
            "Chỉ cán bộ đài của xã, phường này mới xác nhận đã phát được.",
            user,
        )
    page = url_for(".commune_page", code=code)
    slot = request.form.get("slot") or None
    try:
        day = date.fromisoformat(request.form.get("date", ""))
        ids = [int(value) for value in request.form.getlist("publication_id")]
        if not plannable_day(day) or any(not 1 <= i <= MAX_ROW_ID for i in ids):
            raise ValueError("out of range")
    except ValueError:
        flash("Biểu mẫu thiếu ngày hoặc số tin; hãy tải lại trang.", "err")
        return redirect(page, 303)
    if slot not in (None, *SLOT_NAMES):
        slot = None
    if not ids:
        flash("Hãy đánh dấu ít nhất một tin đã phát.", "err")
        return redirect(page, 303)
    try:
        result = confirm_broadcast(
            db.session,
            commune_code=commune.code,
            day=day,
            publication_ids=ids,
            user_id=user.id,
            note=(request.form.get("note") or "").strip()[:NOTE_MAX],
            slot=slot,
        )
    except ConfirmationInvalid as error:
        db.session.rollback()
        flash(f"Chưa ghi nhận được: {_vietnamese(error.errors)}.", "err")
        return redirect(page, 303)
    db.session.commit()
    where = f" {SLOT_NAMES[slot]}" if slot else ""
    if result.created:
        flash(f"Đã ghi nhận: đã phát {len(result.publication_ids)} tin{where}. Cảm ơn!", "ok")
    else:
        flash(f"Các tin{where} này đã được xác nhận trước đó.", "ok")
    return redirect(f"{page}#{slot or 'today'}", 303)
