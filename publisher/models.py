"""Imports every model module so that ``Base.metadata`` knows the whole schema."""

from content_library.db import Base
from content_library.models import Asset, Campaign, Commune, ContentItem, ContentVersion, Drive
from publisher.audit.models import AuditEvent
from publisher.auth.models import ApiToken, User
from publisher.consents.models import Consent
from publisher.delivery.models import Attempt, Channel, Publication
from publisher.donors.models import Donation, Donor
from publisher.feedimport.models import FeedSource
from publisher.loudspeaker.models import (
    AudioRecording,
    AudioRender,
    BroadcastConfirmation,
    ReadingKept,
)
from publisher.organisations.models import (
    Guidance,
    GuidanceContent,
    GuidanceEvidence,
    GuidanceTarget,
    Organisation,
)
from publisher.planning.models import PlaybookRecord
from publisher.reports.models import EngagementReading, ReportSignature
from publisher.rss.models import CampaignImage

__all__ = [
    "ApiToken",
    "Asset",
    "Attempt",
    "AudioRecording",
    "AudioRender",
    "AuditEvent",
    "Base",
    "BroadcastConfirmation",
    "Campaign",
    "CampaignImage",
    "Channel",
    "Commune",
    "Consent",
    "ContentItem",
    "ContentVersion",
    "Donation",
    "Donor",
    "Drive",
    "EngagementReading",
    "FeedSource",
    "Guidance",
    "GuidanceContent",
    "GuidanceEvidence",
    "GuidanceTarget",
    "Organisation",
    "PlaybookRecord",
    "Publication",
    "ReadingKept",
    "ReportSignature",
    "User",
]
