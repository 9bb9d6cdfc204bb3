"""When a consent covers a channel kind: local days, both ends included; withdrawn: nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from publisher.consents.forms import FormRejected, decode_form
from publisher.consents.gate import EXPIRED, NOT_YET, WITHDRAWN, end_of_consent, lapse, status_of
from publisher.consents.models import Consent
from publisher.times import LOCAL_TZ


def consent(**kw) -> Consent:
    values = {
        "person_name": "Nguyễn Văn A",
        "scope": ["rss", "loudspeaker"],
        "given_on": date(2025, 6, 1),
        "expires_on": date(2025, 6, 14),
    }
    values.update(kw)
    return Consent(**values)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL_TZ)


def test_both_ends_are_local_days_included():
    c = consent()
    assert lapse(c, local(date(2025, 6, 1), 0, 0), "rss") is None
    assert lapse(c, local(date(2025, 6, 14), 23, 59), "rss") is None
    # 00:30 on the 15th in Lai Châu is still the 14th in UTC: the local day decides.
    late = local(date(2025, 6, 15), 0, 30)
    assert late.astimezone(UTC).date() == date(2025, 6, 14)
    assert lapse(c, late, "rss") == EXPIRED
    early = local(date(2025, 5, 31), 23, 59)
    assert lapse(c, early, "rss") == NOT_YET


def test_scope_withdrawal_and_no_expiry():
    c = consent(expires_on=None)
    assert lapse(c, local(date(2040, 1, 1), 9), "loudspeaker") is None
    refused = lapse(c, local(date(2025, 6, 2), 9), "fanpage")
    assert refused is not None and "Trang Facebook" in refused
    assert "Nguyễn" not in refused
    c.withdrawn_at = datetime(2025, 6, 3, tzinfo=UTC)
    assert lapse(c, local(date(2025, 6, 2), 9), "rss") == WITHDRAWN
    assert status_of(c, local(date(2025, 6, 2), 9)) == "withdrawn"
    assert lapse(None, local(date(2025, 6, 2), 9)) is not None


def test_the_deadline_clamp_is_the_end_of_the_last_local_day():
    end = end_of_consent(consent())
    assert end == local(date(2025, 6, 15), 0).astimezone(UTC)
    assert end - timedelta(microseconds=1) > local(date(2025, 6, 14), 23, 59)
    assert end_of_consent(consent(expires_on=None)) is None


def test_a_pdf_that_only_claims_to_be_one_is_refused():
    with pytest.raises(FormRejected) as refused:
        decode_form(b"%PDF-1.4\n%%EOF")
    assert refused.value.status == 422
    with pytest.raises(FormRejected) as wrong:
        decode_form(b"GIF89a\x01\x00\x01\x00")
    assert wrong.value.status == 415
