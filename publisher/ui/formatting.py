"""How things read on the page: local times, Vietnamese labels for states, roles and kinds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from urllib.parse import urlsplit

from markupsafe import Markup

from channels.loudspeaker import duration_text
from channels.registry import kinds
from channels.registry import label as kind_label
from content_library.sanitize import sanitize_html
from publisher.times import LOCAL_TZ, WEEKDAYS_SHORT, weekday_heading

PUBLICATION_STATUS = {
    "scheduled": ("Đã lên lịch", "info"),
    "queued": ("Đang chờ gửi", "info"),
    "publishing": ("Đang gửi", "info"),
    "published": ("Đã đăng", "ok"),
    "failed": ("Lỗi", "err"),
    "cancelled": ("Đã huỷ", "muted"),
    "expired": ("Quá hạn", "warn"),
    "unconfirmed": ("Chưa xác nhận", "warn"),
}
CONTENT_STATUS = {
    "draft": ("Bản nháp", "muted"),
    "in_review": ("Chờ duyệt", "warn"),
    "approved": ("Đã duyệt", "ok"),
    "rejected": ("Bị từ chối", "err"),
    "archived": ("Đã lưu trữ", "muted"),
}
DRIVE_STATUS = {
    "planned": ("Dự kiến", "info"),
    "confirmed": ("Đã xác nhận", "ok"),
    "cancelled": ("Đã huỷ", "muted"),
    "done": ("Đã diễn ra", "ok"),
}
HEALTH_STATUS = {
    "ok": ("Hoạt động", "ok"),
    "paused": ("Tạm dừng", "warn"),
    "needs_attention": ("Cần cấp quyền lại", "err"),
}
FEED_STATUS = {
    "ok": ("Bình thường", "ok"),
    "not_modified": ("Không có tin mới", "ok"),
    "error": ("Lỗi", "err"),
}
STATUS_TABLES = {
    "publication": PUBLICATION_STATUS,
    "content": CONTENT_STATUS,
    "drive": DRIVE_STATUS,
    "health": HEALTH_STATUS,
    "feed": FEED_STATUS,
}
CONTENT_KINDS = {
    "article": "Bài viết",
    "poster": "Áp phích",
    "script": "Bản tin loa",
    "profile": "Tấm gương",
}


class _KindLabels(Mapping[str, str]):
    """Each channel kind's Vietnamese name, asked of its adapter when a page needs it."""

    def __getitem__(self, kind: str) -> str:
        return kind_label(kind)

    def __iter__(self) -> Iterator[str]:
        return iter(kinds())

    def __len__(self) -> int:
        return len(kinds())


CHANNEL_KINDS: Mapping[str, str] = _KindLabels()
ROLES = {
    "admin": "Quản trị",
    "approver": "Lãnh đạo duyệt",
    "editor": "Biên tập viên",
    "operator": "Cán bộ đài xã",
}
PRIORITIES = {"normal": "Thông thường", "priority": "Ưu tiên", "emergency": "Khẩn cấp"}
SLOTS = {"morning": "Buổi sáng", "evening": "Buổi chiều"}
ATTEMPT_OUTCOMES = {
    "published": "Đã đăng",
    "reconciled_found": "Đối soát: đã có trên kênh",
    "reconciled_absent": "Đối soát: chưa có trên kênh",
    "transient": "Lỗi tạm thời",
    "rate_limited": "Bị giới hạn tần suất",
    "permanent": "Lỗi không thử lại",
    "channel_broken": "Kênh cần cấp quyền lại",
    "unknown": "Chưa rõ kết quả",
    "error": "Lỗi",
    "expired": "Quá hạn",
    None: "Đang chạy",
}


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ)


def local_datetime(moment: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh; empty for nothing."""
    if moment is None:
        return ""
    return to_local(moment).strftime("%d/%m/%Y %H:%M")


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def local_time(moment: datetime | None) -> str:
    return to_local(moment).strftime("%H:%M") if moment else ""


def input_datetime(moment: datetime | None) -> str:
    """The value of an ``<input type="datetime-local">`` (local time, minutes)."""
    return to_local(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def status_label(value: str | None, table: str) -> str:
    return STATUS_TABLES[table].get(value or "", (value or "", "muted"))[0]


def status_tone(value: str | None, table: str) -> str:
    return STATUS_TABLES[table].get(value or "", ("", "muted"))[1]


def about_duration(seconds: int | None) -> str:
    """80 → "khoảng 1 phút 20 giây"."""
    return f"khoảng {duration_text(int(seconds or 0))}"


def weekday_name(day: date | datetime) -> str:
    return weekday_heading(day)


def link_host(url: str | None) -> str:
    """``example.org`` from a link, as a link card names the site."""
    return urlsplit(url).netloc if url else ""


def filesize(count: int | None) -> str:
    count = int(count or 0)
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB".replace(".", ",")
    if count >= 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count} byte"


def publication_title(pub: object) -> str:
    """What a publication says at the top: planned words win over the version's."""
    context = getattr(pub, "render_context", None) or {}
    version = getattr(pub, "version", None)
    return context.get("title") or (version.title if version is not None else "")


_VIETNAMESE_LETTERS = frozenset(
    "ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
)


def has_vietnamese(text: str) -> bool:
    return any(ch in _VIETNAMESE_LETTERS for ch in text.lower())


def vietnamese_part(message: str) -> str:
    """From a domain message written "tiếng Việt / English" (either order), the Vietnamese."""
    parts = [p.strip() for p in str(message).split(" / ") if p.strip()]
    for part in parts:
        if has_vietnamese(part):
            return part
    return parts[0] if parts else ""


def clean_html(markup: str | None) -> Markup:
    """Stored bodies are sanitised on save; sanitise again on the way out, then trust."""
    return Markup(sanitize_html(markup or ""))  # noqa: S704 - sanitised by the allowlist


FILTERS = {
    "clean_html": clean_html,
    "publication_title": publication_title,
    "local_datetime": local_datetime,
    "local_date": local_date,
    "local_time": local_time,
    "input_datetime": input_datetime,
    "about_duration": about_duration,
    "weekday_name": weekday_name,
    "filesize": filesize,
    "link_host": link_host,
}
LABELS = {
    "CONTENT_KINDS": CONTENT_KINDS,
    "CHANNEL_KINDS": CHANNEL_KINDS,
    "ROLES": ROLES,
    "PRIORITIES": PRIORITIES,
    "SLOTS": SLOTS,
    "ATTEMPT_OUTCOMES": ATTEMPT_OUTCOMES,
    "WEEKDAYS_SHORT": WEEKDAYS_SHORT,
}
