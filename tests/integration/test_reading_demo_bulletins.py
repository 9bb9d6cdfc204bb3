"""The demo's bulletins, as operators download them, pass every reading check."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from channels.loudspeaker.outline import BODY, EMPTY, SPOKEN, outline
from publisher.delivery.models import Channel, Publication
from publisher.loudspeaker.bulletins import bulletins_for_day, local_today
from publisher.loudspeaker.reading import reading_findings


def test_every_line_of_every_demo_bulletin_is_clean(app, db):
    seeded = app.test_cli_runner().invoke(args=["seed", "--demo"])
    assert seeded.exit_code == 0, seeded.output
    # Release every loudspeaker item as the worker does the day before airing.
    loud = select(Channel.id).where(Channel.kind == "loudspeaker")
    pubs = list(db.scalars(select(Publication).where(Publication.channel_id.in_(loud))))
    assert len(pubs) >= 10
    for pub in pubs:
        pub.status = "published"
    db.flush()

    today = local_today()
    findings: list[tuple[str, str, str, list[dict]]] = []
    items = 0
    spoken_lines = 0
    heard: list[str] = []
    for offset in range(-1, 17):
        day = today + timedelta(days=offset)
        for code, bulletin in bulletins_for_day(db, day).items():
            for slot in bulletin.slots:
                for line in (*slot.opening, *slot.closing, slot.empty_notice or ""):
                    spoken_lines += 1
                    found = reading_findings(line, line)
                    if found:
                        findings.append((code, str(day), line, [f.as_dict() for f in found]))
                for entry in slot.entries:
                    items += 1
                    reading, source = entry.item.reading_text, entry.item.text
                    heard.append(reading)
                    found = reading_findings(reading, source)
                    if found:
                        findings.append((code, str(day), reading, [f.as_dict() for f in found]))
            # The documents print the same text paragraph by paragraph (no source there, so
            # repeats were judged above, on whole items).
            for kind, text in outline(bulletin):
                if kind in (BODY, SPOKEN, EMPTY):
                    found = [f for f in reading_findings(text, None) if f.code != "repeat"]
                    if found:
                        findings.append((code, str(day), text, [f.as_dict() for f in found]))

    assert findings == []
    # Not vacuous: 38 communes over 18 days, the demo scripts and the planned drive notices.
    assert spoken_lines > 38 * 18 * 2
    assert items > 38 * 5
    text = "\n".join(heard)
    assert "hội trường ủy ban nhân dân phường Tân Phong" in text
    assert "phường Tân Phong, phường Tân Phong" not in text
    assert "căn cước công dân" in text and "CCCD" not in text
    assert "của Bộ Y tế của Bộ Y tế" not in text
    assert "mười tám đến sáu mươi tuổi" in text
