"""Which released loudspeaker items a commune reads on a local day, as bulletins.

A bulletin for (commune, day) holds the loudspeaker publications that

* were released (status ``published``: the dispatcher and worker release an item from
  ``BULLETIN_RELEASE_HOUR`` local the day before airing), or were withdrawn only after
  their session aired that day (status ``cancelled`` with ``withdrawn_at`` after the
  session's time): a withdrawal takes an item out of bulletins not yet aired and leaves
  the record of aired ones alone;
* are scheduled within that local day (Asia/Ho_Chi_Minh);
* sit on a loudspeaker channel whose ``commune_codes`` setting lists the commune.

The day's candidates are loaded in one query and resolved once (reading text, variants,
session), then shared by every commune they target; ``channels.loudspeaker`` orders,
times and renders them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from channels.loudspeaker import (
    PRIORITIES,
    SLOTS,
    Bulletin,
    BulletinItem,
    LanguageVariant,
    StationTemplate,
    build_bulletin,
    default_template,
    is_hhmm,
)
from content_library.db import utcnow
from content_library.models import Commune, ContentVersion
from content_library.sanitize import html_to_text
from publisher.delivery.models import Channel, Publication
from publisher.delivery.render import words_for
from publisher.loudspeaker.reading import reading_text_for

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
NOON = time(12)
DEFAULT_RATE = 190

# Names for variant languages an editor left unnamed; the code is shown otherwise.
LANGUAGE_NAMES = {
    "hmn": "Mông",
    "blt": "Thái",
    "tdd": "Thái",
    "thi": "Thái",
    "tai": "Thái",
    "ium": "Dao",
    "yao": "Dao",
    "hni": "Hà Nhì",
    "khb": "Lự",
    "en": "Anh",
}


class UnknownCommune(LookupError):
    """No commune or ward has this code."""


@dataclass(frozen=True)
class Release:
    """A day's released publication, resolved once and shared by every commune it targets."""

    item: BulletinItem
    commune_codes: frozenset[str]
    version_id: int


def local_today(now: datetime | None = None) -> date:
    """Today's date in Asia/Ho_Chi_Minh."""
    return (now or utcnow()).astimezone(LOCAL).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as a half-open UTC interval."""
    start = datetime.combine(day, time(0), LOCAL)
    end = datetime.combine(day + timedelta(days=1), time(0), LOCAL)
    return start.astimezone(UTC), end.astimezone(UTC)


def slot_for(pub: Publication) -> str:
    """The publication's session; unset means morning before noon local, evening after."""
    if pub.slot in SLOTS:
        return pub.slot
    return "morning" if pub.scheduled_at.astimezone(LOCAL).time() < NOON else "evening"


def slot_times_of(channel: Channel) -> dict[str, str]:
    """The channel's session times (its ``slots`` setting), valid entries only."""
    slots = (channel.settings or {}).get("slots") or {}
    if not isinstance(slots, Mapping):
        return {}
    return {slot: value for slot, value in slots.items() if slot in SLOTS and is_hhmm(value)}


def airs_at(
    day: date, slot: str, slot_times: Mapping[str, str], template: StationTemplate | None = None
) -> datetime:
    """When a session goes on air that day (UTC): the channel's time, else the template's."""
    hhmm = slot_times.get(slot) or (template or default_template()).slot_times[slot]
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), LOCAL).astimezone(UTC)


def commune_codes_of(channel: Channel) -> frozenset[str]:
    codes = (channel.settings or {}).get("commune_codes") or ()
    return frozenset(code.strip() for code in codes if isinstance(code, str))


def loudspeaker_channels(session: Session) -> list[Channel]:
    return list(
        session.scalars(select(Channel).where(Channel.kind == "loudspeaker").order_by(Channel.id))
    )


def _variants(version: ContentVersion) -> tuple[LanguageVariant, ...]:
    """Other-language versions as the editor wrote them: never spelled out."""
    variants = []
    for code, data in (version.variants or {}).items():
        if not isinstance(data, Mapping) or not str(data.get("text") or "").strip():
            continue
        name = str(data.get("name") or "").strip() or LANGUAGE_NAMES.get(code, code)
        variants.append(LanguageVariant(language=code, language_name=name, text=data["text"]))
    return tuple(variants)


def _valid_until(pub: Publication) -> datetime | None:
    # A deadline is an instant ("before 00:00 on 1 July"); the documents print the last
    # day it covers ("đến hết ngày 30/06"), hence one second earlier.
    return pub.expires_at - timedelta(seconds=1) if pub.expires_at else None


def _item(pub: Publication, slot: str) -> BulletinItem:
    title, body_html, _summary = words_for(pub)
    text = html_to_text(body_html)
    return BulletinItem(
        publication_id=pub.id,
        title=title,
        text=text,
        reading_text=reading_text_for(pub, text),
        priority=pub.priority,
        slot=slot,
        repeats=max(1, pub.repeats or 1),
        scheduled_at=pub.scheduled_at,
        valid_until=_valid_until(pub),
        variants=_variants(pub.version),
    )


def releases_for_day(
    session: Session,
    day: date,
    channels: Iterable[Channel] | None = None,
    template: StationTemplate | None = None,
) -> list[Release]:
    """The day's bulletin items of the loudspeaker ``channels`` (default: all), in one query."""
    everywhere = channels is None
    by_id = {c.id: c for c in (loudspeaker_channels(session) if everywhere else channels)}
    if not by_id:
        return []
    on_channels = (
        # A subquery rather than thousands of ids when every channel is wanted.
        Publication.channel_id.in_(select(Channel.id).where(Channel.kind == "loudspeaker"))
        if everywhere
        else Publication.channel_id.in_(list(by_id))
    )
    start, end = day_bounds(day)
    stmt = (
        select(Publication)
        .where(
            on_channels,
            Publication.scheduled_at >= start,
            Publication.scheduled_at < end,
            or_(
                Publication.status == "published",
                # Narrowed to the session's airing time below.
                and_(Publication.status == "cancelled", Publication.withdrawn_at > start),
            ),
        )
        .options(joinedload(Publication.version))
        .order_by(Publication.id)
    )
    releases = []
    for pub in session.scalars(stmt):
        channel = by_id.get(pub.channel_id)
        if channel is None:  # created since the channels were read: tomorrow's concern
            continue
        slot = slot_for(pub)
        if pub.status == "cancelled":
            aired = airs_at(day, slot, slot_times_of(channel), template)
            if pub.withdrawn_at is None or pub.withdrawn_at <= aired:
                continue
        releases.append(Release(_item(pub, slot), commune_codes_of(channel), pub.version_id))
    return releases


def _dedupe(releases: Iterable[Release]) -> list[BulletinItem]:
    """The same version with the same words, scheduled on two channels that both cover a
    commune, is read once there (the first in reading order); different items never merge."""
    ordered = sorted(
        releases,
        key=lambda r: (
            PRIORITIES.index(r.item.priority),
            r.item.scheduled_at,
            r.item.publication_id,
        ),
    )
    seen: set[tuple[int, str, str, str]] = set()
    items = []
    for release in ordered:
        item = release.item
        key = (release.version_id, item.slot, item.title, item.reading_text)
        if key not in seen:
            seen.add(key)
            items.append(item)
    return items


def _index(releases: Iterable[Release]) -> dict[str, list[Release]]:
    by_commune: dict[str, list[Release]] = {}
    for release in releases:
        for code in release.commune_codes:
            by_commune.setdefault(code, []).append(release)
    return by_commune


def _slot_times_by_commune(channels: Iterable[Channel]) -> dict[str, dict[str, str]]:
    """Each commune's session times from its first (lowest id) enabled channel that sets them."""
    times: dict[str, dict[str, str]] = {}
    for channel in sorted(channels, key=lambda c: (not c.enabled, c.id)):
        slots = slot_times_of(channel)
        if slots:
            for code in commune_codes_of(channel):
                times.setdefault(code, slots)
    return times


def communes_by_code(session: Session, codes: Iterable[str] | None = None) -> dict[str, Commune]:
    """Communes by code (default: all), in code order; unknown codes are left out."""
    stmt = select(Commune).order_by(Commune.code)
    if codes is None:
        return {c.code: c for c in session.scalars(stmt)}
    wanted = sorted(set(codes))
    found: dict[str, Commune] = {}
    # Chunked: PostgreSQL and SQLite both cap the parameters of one statement.
    for offset in range(0, len(wanted), 900):
        chunk = wanted[offset : offset + 900]
        found.update((c.code, c) for c in session.scalars(stmt.where(Commune.code.in_(chunk))))
    return dict(sorted(found.items()))


def reading_rate() -> int:
    """Syllables per minute from the ``READING_RATE`` setting (190 outside an app)."""
    if has_app_context():
        return int(current_app.config["SETTINGS"].READING_RATE)
    return DEFAULT_RATE


def items_by_commune(
    session: Session, day: date, commune_codes: Iterable[str] | None = None
) -> dict[str, list[BulletinItem]]:
    """The items each commune reads that day (communes without items are left out)."""
    by_commune = _index(releases_for_day(session, day))
    wanted = by_commune.keys() if commune_codes is None else set(commune_codes)
    return {code: _dedupe(by_commune[code]) for code in wanted if code in by_commune}


def _covering(session: Session, commune_code: str) -> list[Channel]:
    return [c for c in loudspeaker_channels(session) if commune_code in commune_codes_of(c)]


def items_for(session: Session, commune_code: str, day: date) -> list[BulletinItem]:
    """The items one commune reads that day, without building the whole bulletin."""
    channels = _covering(session, commune_code)
    return _dedupe(releases_for_day(session, day, channels)) if channels else []


def _build(
    commune: Commune,
    day: date,
    releases: Iterable[Release],
    slot_times: Mapping[str, str],
    rate: int,
    template: StationTemplate,
) -> Bulletin:
    return build_bulletin(
        commune.code,
        commune.name,
        commune.kind,
        day,
        _dedupe(releases),
        template,
        rate,
        slot_times=slot_times,
    )


def bulletin_for(
    session: Session,
    commune_code: str,
    day: date,
    *,
    rate: int | None = None,
    template: StationTemplate | None = None,
) -> Bulletin:
    """The commune's bulletin for the local ``day``; ``UnknownCommune`` if there is no such code."""
    commune = session.get(Commune, commune_code)
    if commune is None:
        raise UnknownCommune(commune_code)
    template = template or default_template()
    channels = _covering(session, commune_code)
    releases = releases_for_day(session, day, channels, template) if channels else []
    return _build(
        commune,
        day,
        releases,
        _slot_times_by_commune(channels).get(commune_code, {}),
        rate or reading_rate(),
        template,
    )


def bulletins_for_day(
    session: Session,
    day: date,
    commune_codes: Iterable[str] | None = None,
    *,
    rate: int | None = None,
    template: StationTemplate | None = None,
) -> dict[str, Bulletin]:
    """Bulletins of many communes (default: all) for one day, loading the day's items once.

    Unknown codes are skipped; every known commune gets a bulletin, empty ones included.
    """
    template = template or default_template()
    rate = rate or reading_rate()
    communes = communes_by_code(session, commune_codes)
    by_commune = _index(releases_for_day(session, day, template=template))
    times = _slot_times_by_commune(loudspeaker_channels(session))
    return {
        commune.code: _build(
            commune,
            day,
            by_commune.get(commune.code, ()),
            times.get(commune.code, {}),
            rate,
            template,
        )
        for commune in communes.values()
    }
