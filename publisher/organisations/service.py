"""Creating and finding organisations; the seed of the province's units."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.models import Commune
from content_library.sanitize import nfc
from publisher.organisations.models import ORGANISATION_KINDS, Organisation

CONFIG = Path(__file__).resolve().parent.parent.parent / "config" / "organisations.yaml"


class OrganisationError(ValueError):
    """Creating an organisation failed; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str = "body", status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


def _config() -> dict[str, Any]:
    with open(CONFIG, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def commune_slug(code: str) -> str:
    return f"xa-{code}"


def department(session: Session) -> Organisation:
    """The province's department, made from config/organisations.yaml when missing."""
    found = session.scalar(
        select(Organisation).where(Organisation.kind == "department").order_by(Organisation.id)
    )
    if found is not None:
        return found
    spec = _config()["department"]
    org = Organisation(slug=spec["slug"], name=nfc(spec["name"]), kind="department")
    session.add(org)
    session.flush()
    return org


def commune_organisation(session: Session, code: str) -> Organisation:
    """The commune's organisation (made when missing); unknown codes raise."""
    found = session.scalar(select(Organisation).where(Organisation.commune_code == code))
    if found is not None:
        return found
    commune = session.get(Commune, code)
    if commune is None:
        raise OrganisationError(f"unknown commune code {code}", "commune_code")
    org = Organisation(
        slug=commune_slug(code),
        name=nfc(f"UBND {commune.kind} {commune.name}"),
        kind="commune",
        commune_code=code,
        parent_id=department(session).id,
    )
    session.add(org)
    session.flush()
    return org


def by_slug(session: Session, slug: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def create_organisation(
    session: Session,
    *,
    slug: str,
    name: str,
    kind: str,
    commune_code: str | None = None,
    parent_id: int | None = None,
) -> Organisation:
    """A new unit. A commune organisation names its commune; only one per commune."""
    if kind not in ORGANISATION_KINDS:
        raise OrganisationError(f"kind must be one of {', '.join(ORGANISATION_KINDS)}", "kind")
    if kind == "department" and session.scalar(
        select(Organisation.id).where(Organisation.kind == "department")
    ):
        raise OrganisationError("the province has one department", "kind", 409)
    if by_slug(session, slug) is not None:
        raise OrganisationError(f"slug {slug!r} is taken / mã đã dùng", "slug", 409)
    if (kind == "commune") != (commune_code is not None):
        raise OrganisationError(
            "a commune organisation, and only it, names a commune_code", "commune_code"
        )
    if commune_code is not None:
        if session.get(Commune, commune_code) is None:
            raise OrganisationError(f"unknown commune code {commune_code}", "commune_code")
        if session.scalar(select(Organisation.id).where(Organisation.commune_code == commune_code)):
            raise OrganisationError(
                "this commune already has its organisation", "commune_code", 409
            )
    if parent_id is not None and session.get(Organisation, parent_id) is None:
        raise OrganisationError("no such organisation", "parent_id")
    org = Organisation(
        slug=slug, name=nfc(name), kind=kind, commune_code=commune_code, parent_id=parent_id
    )
    session.add(org)
    session.flush()
    return org


def seed_organisations(session: Session) -> int:
    """The department, the press bodies, the Red Cross and one organisation per commune
    (idempotent); returns how many exist afterwards."""
    dept = department(session)
    for unit in _config()["units"]:
        org = by_slug(session, unit["slug"])
        if org is None:
            session.add(
                Organisation(
                    slug=unit["slug"],
                    name=nfc(unit["name"]),
                    kind=unit["kind"],
                    parent_id=dept.id,
                )
            )
    session.flush()
    for code in session.scalars(select(Commune.code).order_by(Commune.code)):
        commune_organisation(session, code)
    return len(session.scalars(select(Organisation.id)).all())


def organisation_for_user(
    session: Session, slug: str | None, commune_code: str | None
) -> Organisation:
    """Whose a new user or token is: the named unit, an operator's commune, or the department."""
    if slug:
        org = by_slug(session, slug)
        if org is None:
            raise OrganisationError(f"unknown organisation {slug!r}", "org")
        if commune_code and org.commune_code != commune_code:
            raise OrganisationError("an operator's organisation is their commune's", "org")
        return org
    if commune_code:
        return commune_organisation(session, commune_code)
    return department(session)


def serialise_organisation(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.id,
        "slug": org.slug,
        "name": org.name,
        "kind": org.kind,
        "commune_code": org.commune_code,
        "parent_id": org.parent_id,
    }
