"""The results report's figures, computed once and shown three ways (JSON, DOCX, XLSX).

Every figure is counted here from rows of the database; the documents only lay out
what :func:`results` returns, so the three cannot disagree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from channels import registry
from content_library.db import utcnow
from content_library.models import Campaign, ContentVersion, Drive
from publisher.delivery.models import Channel, Publication
from publisher.organisations.models import Organisation
from publisher.planning.results import iso
from publisher.planning.vietnamese_dates import LOCAL_TZ
from publisher.reports.airings import airings_section
from publisher.reports.guidance import guidance_section
from publisher.reports.models import EngagementReading
from publisher.reports.scope import ReportQuery, Scope, apply, organisation_scope

# What a failure or an expiry says when the row holds no reason of its own.
NO_REASON = {
    "failed": "Không rõ lý do",
    "expired": "Hết hạn trước khi kịp đăng",
}
# Names of engagement figures a channel may report, in the order the report shows them.
MEASURE_LABELS = {
    "reactions": "Lượt bày tỏ cảm xúc",
    "comments": "Bình luận",
    "shares": "Chia sẻ",
    "views": "Lượt xem",
}
REASON_CHARS = 300


def _publications(query: ReportQuery) -> Any:
    """Publications with their channel and version; the campaign filter applied."""
    drive = aliased(Drive)
    stmt = (
        select(Publication, Channel, ContentVersion.title)
        .join(Channel, Channel.id == Publication.channel_id)
        .join(ContentVersion, ContentVersion.id == Publication.version_id)
        .outerjoin(drive, drive.id == Publication.drive_id)
    )
    if query.campaign_id is not None:
        # The campaign the delivered version belongs to, or the drive it was planned for.
        stmt = stmt.where(
            or_(
                ContentVersion.campaign_id == query.campaign_id,
                drive.campaign_id == query.campaign_id,
            )
        )
    return stmt


def _local(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(LOCAL_TZ).isoformat()


def results(session: Session, query: ReportQuery, scope: Scope | None = None) -> dict[str, Any]:
    """Every figure of the results report for ``query``, as the JSON the API returns.

    ``scope`` narrows every publications query (each joins ``channels``); by default it is
    the organisation's filter from :func:`organisation_scope`.
    """
    scope = scope or organisation_scope(session, query.organisation_id)
    start, end = query.bounds()
    published = session.execute(
        apply(_publications(query), scope)
        .where(Publication.published_at >= start, Publication.published_at < end)
        .order_by(Publication.published_at, Publication.id)
    ).all()
    items = [_published_item(pub, channel, title) for pub, channel, title in published]
    campaign = session.get(Campaign, query.campaign_id) if query.campaign_id else None
    report: dict[str, Any] = {
        "period": {"from": query.first.isoformat(), "to": query.last.isoformat()},
        "campaign": None if campaign is None else {"id": campaign.id, "name": campaign.name},
        "organisation": _organisation(session, query.organisation_id),
        "generated_at": iso(utcnow()),
        "publications": _publications_section(items),
        "feeds": _feeds_section(items),
        "broadcasts": airings_section(session, query, scope),
        "drives": _drives_section(session, query, scope),
        "failures": _failures_section(session, query, scope),
        "engagement": _engagement_section(session, items),
        "guidance": guidance_section(session, query),
    }
    report["summary"] = _summary(report)
    return report


def _organisation(session: Session, organisation_id: int | None) -> dict[str, Any] | None:
    org = None if organisation_id is None else session.get(Organisation, organisation_id)
    if org is None:
        return None
    return {"id": org.id, "slug": org.slug, "name": org.name, "kind": org.kind}


def _published_item(pub: Publication, channel: Channel, title: str) -> dict[str, Any]:
    return {
        "publication_id": pub.id,
        "title": title,
        "channel_id": channel.id,
        "channel": channel.name,
        "kind": channel.kind,
        "kind_label": registry.label(channel.kind),
        "published_at": _local(pub.published_at),
        "external_url": pub.external_url,
        "withdrawn": pub.withdrawn_at is not None,
        "drive_id": pub.drive_id,
    }


def _publications_section(items: list[dict[str, Any]]) -> dict[str, Any]:
    per_kind = Counter(item["kind"] for item in items)
    kinds = registry.kinds() + sorted(set(per_kind) - set(registry.kinds()))
    per_channel: dict[int, dict[str, Any]] = {}
    for item in items:
        entry = per_channel.setdefault(
            item["channel_id"],
            {
                "channel_id": item["channel_id"],
                "channel": item["channel"],
                "kind": item["kind"],
                "kind_label": item["kind_label"],
                "published": 0,
                "withdrawn": 0,
                "links": [],
            },
        )
        entry["published"] += 1
        entry["withdrawn"] += int(item["withdrawn"])
        if item["external_url"]:
            entry["links"].append(item["external_url"])
    return {
        "total": len(items),
        "by_kind": [
            {"kind": kind, "label": registry.label(kind), "published": per_kind.get(kind, 0)}
            for kind in kinds
        ],
        "by_channel": sorted(
            per_channel.values(), key=lambda e: (-e["published"], e["channel"], e["channel_id"])
        ),
        "items": items,
    }


def _feeds_section(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Articles on the portal feeds: publications on kinds whose posts are public articles."""
    article_kinds = set(registry.kinds_where("public_articles"))
    articles = [item for item in items if item["kind"] in article_kinds]
    per_channel: dict[int, dict[str, Any]] = {}
    for item in articles:
        entry = per_channel.setdefault(
            item["channel_id"],
            {"channel_id": item["channel_id"], "channel": item["channel"], "articles": 0},
        )
        entry["articles"] += 1
    return {
        "total": len(articles),
        "by_channel": sorted(per_channel.values(), key=lambda e: (-e["articles"], e["channel"])),
        "items": [
            {k: item[k] for k in ("publication_id", "title", "channel", "published_at")}
            | {"url": item["external_url"]}
            for item in articles
        ],
    }


def _drives_section(session: Session, query: ReportQuery, scope: Scope | None) -> dict[str, Any]:
    """Drives that start in the period and the items published before and after each."""
    start, end = query.bounds()
    stmt = (
        select(Drive)
        .where(Drive.starts_at >= start, Drive.starts_at < end, Drive.status != "cancelled")
        .order_by(Drive.starts_at, Drive.id)
    )
    if query.campaign_id is not None:
        stmt = stmt.where(Drive.campaign_id == query.campaign_id)
    drives = list(session.scalars(stmt))
    rows = session.execute(
        apply(
            select(Publication.drive_id, Publication.published_at, Channel.name)
            .join(Channel, Channel.id == Publication.channel_id)
            .where(
                Publication.drive_id.in_([d.id for d in drives]),
                Publication.published_at.is_not(None),
            ),
            scope,
        )
    ).all()
    per_drive: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for drive_id, published_at, channel_name in rows:
        per_drive[drive_id].append((published_at, channel_name))
    out = []
    for drive in drives:
        found = per_drive.get(drive.id, [])
        if scope is not None and not found:
            continue  # a unit's report lists the drives it covered
        out.append(
            {
                "drive_id": drive.id,
                "name": drive.name,
                "starts_at": _local(drive.starts_at),
                "commune_code": drive.commune_code,
                "location": drive.location,
                "before": sum(1 for when, _ in found if when < drive.starts_at),
                "after": sum(1 for when, _ in found if when >= drive.starts_at),
                "channels": sorted({name for _, name in found}),
            }
        )
    return {
        "total": len(out),
        "covered": sum(1 for d in out if d["before"] + d["after"]),
        "items": out,
    }


def _failures_section(session: Session, query: ReportQuery, scope: Scope | None) -> dict[str, Any]:
    """Publications due in the period that failed or expired, with their reasons."""
    start, end = query.bounds()
    rows = session.execute(
        apply(_publications(query), scope)
        .where(
            Publication.status.in_(("failed", "expired")),
            Publication.scheduled_at >= start,
            Publication.scheduled_at < end,
        )
        .order_by(Publication.scheduled_at, Publication.id)
    ).all()
    items = []
    for pub, channel, title in rows:
        reason = (pub.last_error or "").strip()[:REASON_CHARS] or NO_REASON[pub.status]
        items.append(
            {
                "publication_id": pub.id,
                "title": title,
                "channel": channel.name,
                "kind_label": registry.label(channel.kind),
                "status": pub.status,
                "scheduled_at": _local(pub.scheduled_at),
                "reason": reason,
            }
        )
    reasons = Counter((item["status"], item["reason"]) for item in items)
    return {
        "failed": sum(1 for item in items if item["status"] == "failed"),
        "expired": sum(1 for item in items if item["status"] == "expired"),
        "by_reason": [
            {"status": status, "reason": reason, "count": count}
            for (status, reason), count in sorted(reasons.items(), key=lambda p: (-p[1], p[0]))
        ],
        "items": items,
    }


def _engagement_section(session: Session, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The latest reading of each published item a channel reported engagement for."""
    by_id = {item["publication_id"]: item for item in items}
    latest: dict[int, EngagementReading] = {}
    if by_id:
        for reading in session.scalars(
            select(EngagementReading)
            .where(EngagementReading.publication_id.in_(list(by_id)))
            .order_by(EngagementReading.read_at, EngagementReading.id)
        ):
            latest[reading.publication_id] = reading
    names = {name for reading in latest.values() for name in reading.figures}
    measures = [m for m in MEASURE_LABELS if m in names] + sorted(names - set(MEASURE_LABELS))
    rows = []
    for pub_id, reading in sorted(latest.items(), key=lambda p: p[0]):
        item = by_id[pub_id]
        rows.append(
            {
                "publication_id": pub_id,
                "title": item["title"],
                "channel": item["channel"],
                "external_url": item["external_url"],
                "read_at": _local(reading.read_at),
                "figures": {m: int(reading.figures.get(m, 0)) for m in measures},
            }
        )
    return {
        "measures": [{"name": m, "label": MEASURE_LABELS.get(m, m)} for m in measures],
        "totals": {m: sum(row["figures"][m] for row in rows) for m in measures},
        "items": rows,
    }


def _summary(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline figures, in the order the documents list them."""
    loud, failures = report["broadcasts"], report["failures"]
    rows = [
        ("published", "Tin đã đăng trên các kênh", report["publications"]["total"]),
        ("channels", "Số kênh có tin đã đăng", len(report["publications"]["by_channel"])),
        ("feed_articles", "Tin bài trên cổng thông tin", report["feeds"]["total"]),
        ("broadcasts_scheduled", "Lượt tin loa đã lên lịch", loud["scheduled"]),
        ("broadcasts_aired", "Lượt tin loa đã phát (có xác nhận)", loud["aired"]),
        ("silent_communes", "Xã/phường chưa xác nhận phát tin nào", len(loud["silent"])),
        ("drives_covered", "Đợt hiến máu được tuyên truyền", report["drives"]["covered"]),
        ("failed", "Tin đăng lỗi", failures["failed"]),
        ("expired", "Tin hết hạn", failures["expired"]),
    ]
    engagement = report["engagement"]
    for measure in engagement["measures"]:
        name = measure["name"]
        rows.append((f"engagement_{name}", measure["label"], engagement["totals"][name]))
    return [{"key": key, "label": label, "value": value} for key, label, value in rows]
