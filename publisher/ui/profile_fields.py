"""The content editor's fields for a profile (tấm gương): the person and their consent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from content_library.db import utcnow
from content_library.models import PROFILE_KIND, Commune, ContentItem
from publisher.consents.service import usable_consent, valid_consents
from publisher.db import db
from publisher.ui.blueprint import current_user
from publisher.ui.forms import Form

CONSENT_REFUSED = {
    "no such consent": "Hãy chọn một giấy đồng ý của đơn vị.",
}


def read_person(form: Form) -> dict[str, Any] | None:
    """The person block from the posted form; errors go to ``form.errors`` in Vietnamese."""
    name = form.text(
        "person_name", required=True, max_length=200, label="Họ tên người được nêu gương"
    )
    code = form.text("person_commune", max_length=8) or None
    if code is not None and db.session.get(Commune, code) is None:
        form.errors["person_commune"] = "Xã, phường không hợp lệ."
    consent_id = form.integer("consent_id", minimum=1, required=True, label="Giấy đồng ý")
    if consent_id is not None:
        refusal = usable_consent(db.session, current_user(), consent_id)
        if refusal is not None:
            form.errors["consent_id"] = CONSENT_REFUSED.get(refusal, refusal.split(" / ")[0])
    if not name or consent_id is None:
        return None
    person: dict[str, Any] = {"name": name, "consent_id": consent_id}
    if code:
        person["commune_code"] = code
    return person


def profile_choices(item: ContentItem | None, values: dict[str, Any]) -> dict[str, Any]:
    """What the form offers for a profile: communes and the consents in force (plus the one
    already chosen, so an edit shows it even once it lapsed)."""
    if item is not None and item.kind != PROFILE_KIND:
        return {"profile_fields": False}
    consents = valid_consents(db.session, current_user(), utcnow())
    options = [(c.id, f"#{c.id} {c.person_name}") for c in consents]
    chosen = (values.get("person") or {}).get("consent_id")
    if chosen is not None and chosen not in {c.id for c in consents}:
        options.append((chosen, f"#{chosen} (không còn hiệu lực)"))
    communes = [
        (c.code, c.full_name) for c in db.session.scalars(select(Commune).order_by(Commune.name))
    ]
    return {"profile_fields": True, "consent_options": options, "commune_options": communes}
