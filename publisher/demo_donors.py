"""Demo data for honouring donors: one consent with its profile, a small donor register.

The people are invented. Keyed like the rest of the demo (the consent's note, the profile's
``source_guid``, donors by name within the department), so seeding twice adds nothing. Each
row made here is in the audit log, by the system actor, as any change of personal data is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.models import ContentItem
from content_library.services import approve, create_content, submit
from publisher.audit import record
from publisher.auth.models import User
from publisher.consents.models import Consent
from publisher.consents.service import ENTITY as CONSENT_ENTITY
from publisher.donors.models import Donation, Donor
from publisher.donors.register import ENTITY as DONOR_ENTITY
from publisher.organisations.service import department

DEMO_NOTE = "Dữ liệu trình diễn: người và giấy đồng ý là giả định."
PROFILE_GUID = "demo:profile-tam-guong"
PERSON = "Lò Văn Thành"
PROFILE_TITLE = "Tấm gương hiến máu: anh Lò Văn Thành, 18 lần hiến máu tình nguyện"
PROFILE_BODY = (
    "<p>Anh Lò Văn Thành, công chức phường Tân Phong, đã 18 lần hiến máu tình nguyện từ năm "
    "2012. Mỗi đợt Chủ nhật Đỏ, anh rủ thêm đồng nghiệp cùng đi.</p>"
    "<p>“Một giọt máu cho đi, một cuộc đời ở lại”, anh nói. Hãy cùng anh đăng ký hiến máu "
    "tại điểm hiến máu gần nhất.</p>"
)
# Full name, position, donations as days before today: two repeat donors, two others.
DEMO_DONORS = (
    ("Nguyễn Thị Hoa", "Chuyên viên Phòng Thông tin", (20, 130, 250, 370, 500)),
    ("Vàng A Dế", "Chuyên viên Phòng Văn hóa", (45, 160, 300)),
    ("Trần Minh Đức", "Văn thư", (80,)),
    ("Tẩn Thị Mai", "Kế toán", (600, 720)),
)


def seed_donors_demo(
    session: Session, users: dict[str, User], today: date, echo: Callable[[str], None]
) -> None:
    org = department(session)
    consent = session.scalar(select(Consent).where(Consent.note == DEMO_NOTE))
    if consent is None:
        consent = Consent(
            organisation_id=org.id,
            person_name=PERSON,
            commune_code="03408",
            scope=["rss", "fanpage", "loudspeaker"],
            given_on=today - timedelta(days=20),
            expires_on=today + timedelta(days=365),
            note=DEMO_NOTE,
        )
        session.add(consent)
        session.flush()
        record(session, None, "create", CONSENT_ENTITY, consent.id, org.id, {"demo": True})
        echo("consent: a demo consent for a profile (rss, fanpage, loudspeaker)")
    _profile(session, users, consent, echo)
    for full_name, position, days in DEMO_DONORS:
        found = session.scalar(
            select(Donor).where(Donor.organisation_id == org.id, Donor.full_name == full_name)
        )
        if found is not None:
            continue
        donor = Donor(organisation_id=org.id, full_name=full_name, position=position)
        donor.donations = [
            Donation(donated_on=today - timedelta(days=d), place="Bệnh viện Đa khoa tỉnh")
            for d in days
        ]
        session.add(donor)
        session.flush()
        record(session, None, "create", DONOR_ENTITY, donor.id, org.id, {"donations": len(days)})
    session.flush()


def _profile(
    session: Session, users: dict[str, User], consent: Consent, echo: Callable[[str], None]
) -> None:
    if session.scalar(select(ContentItem.id).where(ContentItem.source_guid == PROFILE_GUID)):
        return
    editor, approver = users["bientap"], users["lanhdao"]
    item = create_content(
        session,
        kind="profile",
        title=PROFILE_TITLE,
        body=PROFILE_BODY,
        summary="18 lần hiến máu tình nguyện; tấm gương của phong trào.",
        tags=["tấm gương"],
        author_id=editor.id,
        person={"name": PERSON, "commune_code": consent.commune_code, "consent_id": consent.id},
    )
    item.source_guid = PROFILE_GUID
    item.source_name = "Dữ liệu trình diễn"
    submit(item, editor.id)
    approve(session, item, approver.id)
    echo(f"profile: {PROFILE_TITLE[:60]}")
