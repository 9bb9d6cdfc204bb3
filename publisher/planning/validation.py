"""Checks that need the database before a recurring reminder is stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.db import utcnow
from content_library.models import Campaign, ContentItem
from publisher.errors import ValidationFailed
from publisher.planning.errors import RecurrenceInvalid
from publisher.planning.kinds import slot_kinds
from publisher.planning.reminders import Reminder, reminder_times
from publisher.planning.rendering import template_from_version, template_guid
from publisher.planning.rules import ChannelRules
from publisher.planning.templates import check_template, placeholders_in

UPCOMING = 5


def check_reminder(
    session: Session, campaign: Campaign, reminder: Reminder, *, strict: bool
) -> dict[str, Any]:
    """How often the reminder fires in the campaign and when next; problems are a 422 if strict.

    The template must exist and say nothing about a drive (a campaign-wide reminder
    has none); its wording is checked on the approved version, else the latest.
    """
    errors: dict[str, str] = {}
    item = session.scalar(
        select(ContentItem).where(
            ContentItem.is_template.is_(True),
            ContentItem.source_guid == template_guid(reminder.template),
        )
    )
    if item is None:
        errors["template"] = f"Không có mẫu nội dung “{reminder.template}” / no such template"
    else:
        version = next(
            (v for v in item.versions if v.id == item.approved_version_id), item.versions[-1]
        )
        template = template_from_version(reminder.template, item, version)
        about_drive = [f"{{{p}}}" for p in placeholders_in(template) if p.startswith("drive.")]
        problems = check_template(template)
        if about_drive:
            errors["template"] = (
                f"Mẫu “{reminder.template}” dùng {', '.join(about_drive)}, chỉ có ở từng đợt hiến "
                "máu; nhắc chung của chiến dịch chỉ dùng được {campaign.name} / the template "
                "needs a drive"
            )
        elif problems:
            errors["template"] = " ".join(problems)
    rules = ChannelRules()
    if reminder.slot:
        # The reminder names only kinds broadcast in slots; their default session times.
        slotted = [kind for kind in reminder.channels if kind in slot_kinds()] or slot_kinds()
        rules = ChannelRules.defaults_for(slotted[0]) if slotted else rules
    moments = []
    try:
        moments = reminder_times(reminder, campaign.starts_on, campaign.ends_on, rules)
    except RecurrenceInvalid as exc:
        errors["rrule"] = exc.message_vi
    else:
        if not moments:
            errors["rrule"] = (
                "Quy tắc không có lần nào trong thời gian chiến dịch "
                f"({campaign.starts_on:%d/%m/%Y}–{campaign.ends_on:%d/%m/%Y}) "
                "/ the rule never occurs during the campaign"
            )
    if errors and strict:
        raise ValidationFailed(errors, detail="Nhắc lặp lại không hợp lệ / invalid recurrence")
    now = utcnow()
    upcoming = [m for m in moments if m >= now][:UPCOMING]
    return {
        "occurrences": len(moments),
        "next": [m.isoformat().replace("+00:00", "Z") for m in upcoming],
    }
