"""Channels and publications."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from sqlalchemy import select

from publisher.api.framework import (
    PAGE_PARAMS,
    ValidationFailed,
    current_user,
    endpoint,
    get_or_404,
    iso,
    paginate,
    parse_datetime,
    scoped,
)
from publisher.api.schemas import PUB_STATUS
from publisher.db import db
from publisher.delivery.channels import (
    ChannelInvalid,
    create_channel,
    health,
    update_channel,
)
from publisher.delivery.crypto import decrypt_secrets
from publisher.delivery.models import Channel, Publication
from publisher.delivery.publications import (
    PublicationError,
    cancel,
    find_by_key,
    request_hash,
    retry,
    schedule,
    scoped_key,
)
from publisher.errors import ApiError, not_found
from publisher.organisations.visibility import (
    NotGuidedVersion,
    NotYours,
    check_schedulable,
    owner_for_new_row,
)


def serialise_channel(channel: Channel) -> dict[str, Any]:
    secret_key = current_app.config["SETTINGS"].SECRET_KEY
    try:
        secrets_set = sorted(decrypt_secrets(secret_key, channel.secrets_encrypted))
    except RuntimeError:
        secrets_set = []
    return {
        "id": channel.id,
        "kind": channel.kind,
        "slug": channel.slug,
        "name": channel.name,
        "settings": dict(channel.settings or {}),
        "secrets_set": secrets_set,
        "enabled": channel.enabled,
        "rules": dict(channel.rules or {}),
        "health": health(channel),
        "organisation_id": channel.organisation_id,
    }


def load_channel(channel_id: int) -> Channel:
    return get_or_404(Channel, channel_id, "Channel")


@endpoint(
    "POST",
    "/channels",
    summary="Configure a channel (secrets are write-only)",
    permission="channels:write",
    body="ChannelCreate",
    response="Channel",
    status=201,
)
def create(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    try:
        channel = create_channel(
            db.session,
            kind=body["kind"],
            slug=body["slug"],
            name=body["name"],
            settings=body["settings"],
            enabled=body.get("enabled", True),
            rules=body.get("rules"),
            secret_key=current_app.config["SETTINGS"].SECRET_KEY,
        )
        channel.organisation_id = owner_for_new_row(db.session, current_user())
    except ChannelInvalid as exc:
        db.session.rollback()
        status = 409 if "slug" in exc.errors and len(exc.errors) == 1 else 422
        raise ApiError(status, str(exc), errors=exc.errors) from None
    db.session.commit()
    return serialise_channel(channel), 201


@endpoint(
    "GET",
    "/channels",
    summary="List channels with their health",
    permission="channels:read",
    response="Channel",
    paginated=True,
    query=PAGE_PARAMS,
)
def list_channels() -> dict[str, Any]:
    stmt = scoped(select(Channel).order_by(Channel.id), Channel)
    return paginate(db.session, stmt, serialise_channel)


@endpoint(
    "GET", "/channels/{id}", summary="One channel", permission="channels:read", response="Channel"
)
def get_channel(id: int) -> dict[str, Any]:
    return serialise_channel(load_channel(id))


@endpoint(
    "PATCH",
    "/channels/{id}",
    summary="Edit a channel; omitted secrets are kept",
    permission="channels:write",
    body="ChannelPatch",
    response="Channel",
)
def patch_channel(id: int, body: dict[str, Any]) -> dict[str, Any]:
    channel = load_channel(id)
    try:
        update_channel(
            db.session, channel, body, secret_key=current_app.config["SETTINGS"].SECRET_KEY
        )
    except ChannelInvalid as exc:
        db.session.rollback()
        raise ApiError(422, str(exc), errors=exc.errors) from None
    db.session.commit()
    return serialise_channel(channel)


@endpoint(
    "POST",
    "/channels/{id}/check",
    summary="Check the channel's credentials now",
    permission="channels:read",
    response="Channel",
)
def check(id: int) -> dict[str, Any]:
    load_channel(id)
    from publisher.delivery.pipeline import check_channel

    check_channel(id)
    db.session.expire_all()
    return serialise_channel(load_channel(id))


def serialise_publication(pub: Publication, *, with_attempts: bool = False) -> dict[str, Any]:
    data = {
        "id": pub.id,
        "content_id": pub.content_id,
        "version": pub.version.number if pub.version else None,
        "version_id": pub.version_id,
        "channel_id": pub.channel_id,
        "status": pub.status,
        "scheduled_at": iso(pub.scheduled_at),
        "expires_at": iso(pub.expires_at),
        "next_attempt_at": iso(pub.next_attempt_at),
        "published_at": iso(pub.published_at),
        "attempts": pub.attempts,
        "max_attempts": pub.max_attempts,
        "external_id": pub.external_id,
        "external_url": pub.external_url,
        "last_error": pub.last_error,
        "last_error_class": pub.last_error_class,
        "priority": pub.priority,
        "slot": pub.slot,
        "repeats": pub.repeats,
        "drive_id": pub.drive_id,
        "cancelled_at": iso(pub.cancelled_at),
        "withdrawn_at": iso(pub.withdrawn_at),
        "withdraw_pending": pub.withdraw_pending,
        "title": (pub.render_context or {}).get("title")
        or (pub.version.title if pub.version else ""),
    }
    if with_attempts:
        data["attempt_log"] = [
            {
                "number": a.number,
                "action": a.action,
                "started_at": iso(a.started_at),
                "finished_at": iso(a.finished_at),
                "outcome": a.outcome,
                "error": a.error,
                "response_excerpt": a.response_excerpt,
            }
            for a in pub.attempt_log
        ]
    return data


def _publication_error(exc: PublicationError) -> ApiError:
    db.session.rollback()
    return ApiError(exc.status, str(exc), errors=exc.errors)


@endpoint(
    "POST",
    "/publications",
    summary="Schedule an approved content version on a channel",
    permission="publications:write",
    body="PublicationCreate",
    response="Publication",
    status=201,
    extra_responses={200: "Publication"},
    headers=(
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        },
    ),
)
def create_publication(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    user = current_user()
    user_id = user.id if user else None
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 200):
        raise ValidationFailed({"Idempotency-Key": "must be 1 to 200 characters"})
    body_hash = request_hash(body)
    if key:
        existing = find_by_key(db.session, user_id, key)
        if existing is not None:
            if existing.request_hash != body_hash:
                raise ApiError(
                    422,
                    "Idempotency-Key was used with a different body "
                    "/ khóa đã dùng cho yêu cầu khác",
                )
            return serialise_publication(existing), 200
    scheduled_at = parse_datetime(body["scheduled_at"], "scheduled_at")
    expires_at = parse_datetime(body.get("expires_at"), "expires_at")
    try:
        check_schedulable(db.session, user, body["content_id"], body["channel_id"])
    except NotYours as exc:
        raise not_found(exc.what, exc.ident) from None
    except NotGuidedVersion as exc:
        raise ApiError(409, str(exc)) from None
    settings = current_app.config["SETTINGS"]
    try:
        pub = schedule(
            db.session,
            content_id=body["content_id"],
            channel_id=body["channel_id"],
            scheduled_at=scheduled_at,
            expires_at=expires_at,
            created_by=user_id,
            priority=body.get("priority", "normal"),
            slot=body.get("slot"),
            repeats=body.get("repeats", 1),
            drive_id=body.get("drive_id"),
            max_attempts=settings.MAX_ATTEMPTS,
            release_hour=settings.BULLETIN_RELEASE_HOUR,
            idempotency_key=scoped_key(user_id, key) if key else None,
            body_hash=body_hash,
        )
    except PublicationError as exc:
        raise _publication_error(exc) from None
    db.session.commit()
    return serialise_publication(pub), 201


STATUS_QUERY = {"name": "status", "in": "query", "schema": PUB_STATUS}


@endpoint(
    "GET",
    "/publications",
    summary="List publications",
    permission="publications:read",
    response="Publication",
    paginated=True,
    query=(
        STATUS_QUERY,
        {
            "name": "channel_id",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        },
        {
            "name": "content_id",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        },
        {
            "name": "drive_id",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        },
        *PAGE_PARAMS,
    ),
)
def list_publications() -> dict[str, Any]:
    stmt = scoped(
        select(Publication).order_by(Publication.scheduled_at.desc(), Publication.id.desc()),
        Publication,
    )
    for name in ("channel_id", "content_id", "drive_id"):
        if request.args.get(name):
            stmt = stmt.where(getattr(Publication, name) == int(request.args[name]))
    if request.args.get("status"):
        stmt = stmt.where(Publication.status == request.args["status"])
    return paginate(db.session, stmt, serialise_publication)


def load_publication(pub_id: int) -> Publication:
    return get_or_404(Publication, pub_id, "Publication")


@endpoint(
    "GET",
    "/publications/{id}",
    summary="One publication with its attempt log",
    permission="publications:read",
    response="Publication",
)
def get_publication(id: int) -> dict[str, Any]:
    return serialise_publication(load_publication(id), with_attempts=True)


@endpoint(
    "POST",
    "/publications/{id}/cancel",
    summary="Cancel before delivery, or withdraw after it where the channel can",
    permission="publications:write",
    response="Publication",
)
def cancel_publication(id: int) -> dict[str, Any]:
    pub = load_publication(id)
    try:
        cancel(db.session, pub)
    except PublicationError as exc:
        raise _publication_error(exc) from None
    db.session.commit()
    return serialise_publication(pub)


@endpoint(
    "POST",
    "/publications/{id}/retry",
    summary="Try a failed/expired publication again",
    permission="publications:write",
    response="Publication",
    body="PublicationRetry",
)
def retry_publication(id: int, body: dict[str, Any]) -> dict[str, Any]:
    pub = load_publication(id)
    try:
        retry(db.session, pub, parse_datetime(body.get("expires_at"), "expires_at"))
    except PublicationError as exc:
        raise _publication_error(exc) from None
    db.session.commit()
    return serialise_publication(pub)
