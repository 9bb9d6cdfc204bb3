"""From database rows to the pure planning layer's facts, and rendered words for publications.

Template items are content items (``is_template``) whose approved version holds
the wording with ``{drive.*}`` placeholders: the title as plain text, the body as
sanitised HTML. A publication planned from one carries the words filled in for its
drive in ``render_context`` ({"title", "body_html", "summary"}), which delivery
uses instead of the version's own words.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

from content_library.models import Campaign, ContentItem, ContentVersion, Drive
from content_library.sanitize import html_to_text, sanitize_html
from publisher.planning.templates import (
    CampaignFacts,
    DriveFacts,
    Template,
    TemplateContext,
    render_template,
)

TEMPLATE_GUID_PREFIX = "template:"
SUMMARY_LENGTH = 300


def template_guid(key: str) -> str:
    """The ``source_guid`` of the template item for ``key``."""
    return f"{TEMPLATE_GUID_PREFIX}{key}"


def template_key(item: ContentItem) -> str | None:
    """The template key of a template item, or None for ordinary content."""
    guid = item.source_guid or ""
    if not item.is_template or not guid.startswith(TEMPLATE_GUID_PREFIX):
        return None
    return guid[len(TEMPLATE_GUID_PREFIX) :]


def template_from_version(key: str, item: ContentItem, version: ContentVersion) -> Template:
    """The pure layer's template for one version of a template item (body stays HTML)."""
    return Template(key=key, kind=item.kind, title=version.title, body=version.body_html)


def drive_facts(drive: Drive) -> DriveFacts:
    """What a template may say about ``drive``."""
    commune = drive.commune
    return DriveFacts(
        name=drive.name,
        starts_at=drive.starts_at,
        ends_at=drive.ends_at,
        location=drive.location,
        commune_name=commune.name if commune is not None else "",
        commune_kind=commune.kind if commune is not None else "",
        target_units=drive.target_units,
        result_units=drive.result_units,
    )


def campaign_facts(campaign: Campaign | None) -> CampaignFacts | None:
    return None if campaign is None else CampaignFacts(name=campaign.name, slug=campaign.slug)


def render_words(template: Template, context: TemplateContext) -> dict[str, Any]:
    """The ``render_context`` of a publication: title, sanitised HTML body and summary.

    The body is HTML, so the facts put into it are escaped first (a location such
    as "Nhà văn hóa <Tổ 5> & khu 2" must not become markup); the title is plain text
    and gets the facts as they are. Raises ``TemplateError`` like the pure layer.
    """
    body = render_template(template, html_context(context)).body
    return words(render_title(template, context), body)


def render_title(template: Template, context: TemplateContext) -> str:
    """Only the title, filled with the facts as they are (cheaper than the whole template)."""
    title_only = Template(key=template.key, kind=template.kind, title=template.title, body="-")
    return render_template(title_only, context).title


def words(title: str, body: str) -> dict[str, Any]:
    """A ``render_context`` from a plain title and a body rendered with escaped facts."""
    body_html = sanitize_html(body)
    return {"title": title, "body_html": body_html, "summary": summary_of(body_html)}


def summary_of(body_html: str) -> str:
    """The first paragraph of a body, cut at a word near ``SUMMARY_LENGTH`` characters."""
    text = html_to_text(body_html)
    first = text.split("\n\n", 1)[0].strip()
    if len(first) <= SUMMARY_LENGTH:
        return first
    cut = first[:SUMMARY_LENGTH].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def html_context(context: TemplateContext) -> TemplateContext:
    """The same facts, escaped for insertion into an HTML body."""

    def esc(value: str) -> str:
        return html.escape(value, quote=False)

    drive = context.drive
    if drive is not None:
        drive = replace(
            drive,
            name=esc(drive.name),
            location=esc(drive.location),
            commune_name=esc(drive.commune_name),
            commune_kind=esc(drive.commune_kind),
        )
    campaign = context.campaign
    if campaign is not None:
        campaign = replace(campaign, name=esc(campaign.name))
    return TemplateContext(drive=drive, campaign=campaign)
