"""Sample facts shared by the planning tests: the first drive of Lai Châu's 2025 plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from publisher.planning.templates import CampaignFacts, DriveFacts, TemplateContext
from publisher.planning.vietnamese_dates import LOCAL_TZ

CAMPAIGN = CampaignFacts(name="Tết và Lễ hội Xuân hồng", slug="tet-le-hoi-xuan-hong")

# 20/12/2024 is a Friday.
DRIVE = DriveFacts(
    name="Ngày hội hiến máu tình nguyện phường Tân Phong",
    starts_at=datetime(2024, 12, 20, 7, 30, tzinfo=LOCAL_TZ),
    ends_at=datetime(2024, 12, 20, 11, 30, tzinfo=LOCAL_TZ),
    location="Nhà văn hóa tổ dân phố số 5",
    commune_name="Tân Phong",
    commune_kind="phường",
    target_units=350,
)

CONTEXT = TemplateContext(drive=DRIVE, campaign=CAMPAIGN)


def local(*args: int) -> datetime:
    """An aware local (Asia/Ho_Chi_Minh) datetime."""
    return datetime(*args, tzinfo=LOCAL_TZ)


def drive(**changes: object) -> DriveFacts:
    """The sample drive with some facts changed."""
    return replace(DRIVE, **changes)
