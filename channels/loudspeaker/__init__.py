"""Commune loudspeaker stations (đài truyền thanh cơ sở): reading versions and daily bulletins.

Stations are closed systems we cannot call: "publishing" a notice releases it
into the bulletins of the channel's communes, which operators download (TXT,
DOCX, PDF, draft audio), broadcast and confirm. The database decides what a
bulletin holds; this package only spells out, orders, times and renders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from channels.base import (
    Adapter,
    DeliveryResult,
    Permanent,
    Preview,
    RenderedPost,
    SettingsInvalid,
)
from channels.loudspeaker.abbreviations import (
    default_abbreviations,
    load_abbreviations,
    parse_abbreviations,
)
from channels.loudspeaker.audio import AudioFailed, AudioUnavailable, audio_available, render_audio
from channels.loudspeaker.bulletin import (
    PRIORITIES,
    SLOTS,
    Bulletin,
    BulletinEntry,
    BulletinItem,
    BulletinSlot,
    LanguageVariant,
    StationTemplate,
    build_bulletin,
    default_template,
    is_hhmm,
    load_template,
    parse_template,
)
from channels.loudspeaker.documents import render_docx, render_pdf, render_txt
from channels.loudspeaker.numbers import number_to_words
from channels.loudspeaker.outline import duration_text, vietnamese_date
from channels.loudspeaker.reading import DEFAULT_RATE_PER_MINUTE as DEFAULT_READING_RATE
from channels.loudspeaker.reading import count_syllables, reading_seconds, spell_out

__all__ = [
    "PRIORITIES",
    "SLOTS",
    "AudioFailed",
    "AudioUnavailable",
    "Bulletin",
    "BulletinEntry",
    "BulletinItem",
    "BulletinSlot",
    "LanguageVariant",
    "LoudspeakerAdapter",
    "StationTemplate",
    "audio_available",
    "build_bulletin",
    "count_syllables",
    "default_abbreviations",
    "default_template",
    "duration_text",
    "load_abbreviations",
    "load_template",
    "number_to_words",
    "parse_abbreviations",
    "parse_template",
    "reading_seconds",
    "render_audio",
    "render_docx",
    "render_pdf",
    "render_txt",
    "spell_out",
    "vietnamese_date",
]

_COMMUNE_CODE = re.compile(r"\d{5}")


class LoudspeakerAdapter(Adapter):
    """Releases approved notices into commune bulletins; nothing remote is called."""

    kind = "loudspeaker"
    label = "Loa truyền thanh xã"
    short_label = "Loa truyền thanh"
    takes_media = False
    scheduled_in_slots = True
    serves_communes = True
    offline_settings = {"commune_codes": ["00000"]}
    default_slots = {"morning": time(6, 0), "evening": time(17, 30)}
    settings_schema = {
        "commune_codes": {
            "label": "Xã/phường nhận bản tin",
            "help": "Các xã, phường có đài truyền thanh nhận bản tin của kênh này.",
            "widget": "communes",
            "type": "list",
            "required": True,
            "secret": False,
            "description": 'Mã xã/phường (5 chữ số) nhận bản tin, e.g. ["03385"]',
        },
        "slots": {
            "label": "Giờ phát theo buổi",
            "help": "Giờ phát buổi sáng và buổi chiều (HH:MM).",
            "widget": "slots",
            "type": "object",
            "required": False,
            "secret": False,
            "description": 'Giờ phát theo buổi, e.g. {"morning": "06:00", "evening": "17:30"}',
        },
    }
    # Releasing twice is harmless: the bulletin shows a publication once.
    idempotent = True
    can_withdraw = True
    can_lookup = True

    @classmethod
    def preview(cls, post: RenderedPost) -> Preview:
        """The words the operator reads aloud, and how long they take.

        ``post.extra`` carries ``reading_text`` (the editor's correction or the text spelled
        out), and may carry ``reading_rate`` (syllables per minute) and ``reading_corrected``.
        """
        reading = str(post.extra.get("reading_text") or post.text)
        rate = int(post.extra.get("reading_rate") or DEFAULT_READING_RATE)
        how = (
            "do biên tập viên hiệu chỉnh"
            if post.extra.get("reading_corrected")
            else "số, ngày giờ và chữ viết tắt đã được viết thành lời"
        )
        seconds = reading_seconds(reading, rate)
        return Preview(
            heading=post.title,
            body=reading,
            style="reading",
            facts=(("Thời lượng đọc", f"khoảng {duration_text(seconds)}"), ("Bản đọc", how)),
        )

    @classmethod
    def validate_settings(cls, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Check the schema, then every commune code (5 digits) and session time (HH:MM)."""
        cleaned = super().validate_settings(settings)
        errors: dict[str, str] = {}
        codes = cleaned.get("commune_codes")
        if codes is not None:
            if not codes:
                errors["commune_codes"] = "must list at least one commune code"
            elif not all(isinstance(c, str) and _COMMUNE_CODE.fullmatch(c.strip()) for c in codes):
                errors["commune_codes"] = "each commune code must be a string of 5 digits"
            else:
                # Keep the editor's order, drop repeats.
                cleaned["commune_codes"] = list(dict.fromkeys(c.strip() for c in codes))
        slots = cleaned.get("slots")
        if slots is not None:
            unknown = sorted(set(slots) - set(SLOTS))
            if unknown:
                errors["slots"] = f"unknown session {unknown[0]!r} (use morning, evening)"
            elif not all(is_hhmm(value) for value in slots.values()):
                errors["slots"] = "each session time must be HH:MM (24-hour)"
        if errors:
            raise SettingsInvalid(errors)
        return cleaned

    def _result(self, post: RenderedPost) -> DeliveryResult:
        return DeliveryResult(external_id=f"loudspeaker-{post.publication_id}")

    def publish(self, post: RenderedPost) -> DeliveryResult:
        """Release the item into bulletins; the database records it, so nothing else happens."""
        if not (post.text or "").strip():
            raise Permanent("Nội dung đọc trống (the reading text is empty)")
        if post.priority not in PRIORITIES:
            raise Permanent(f"unknown priority {post.priority!r}")
        return self._result(post)

    def lookup(self, post: RenderedPost, since: datetime) -> DeliveryResult | None:
        """A release always took effect: answer with the same external id."""
        return self._result(post)

    def withdraw(self, external_id: str) -> None:
        """Nothing to do here: the database takes the item out of bulletins not yet aired."""
        return None
