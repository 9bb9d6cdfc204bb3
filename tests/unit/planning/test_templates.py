"""Content templates: shipped texts, placeholder checks, rendering, refusals."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from publisher.planning.errors import TemplateError, TemplateInvalid
from publisher.planning.templates import (
    PLACEHOLDERS,
    RESULT_PLACEHOLDERS,
    Template,
    TemplateContext,
    check_template,
    load_templates,
    parse_templates,
    placeholders_in,
    render_template,
    shipped_templates_dir,
    template_from_dict,
    template_to_dict,
)
from tests.unit.planning.samples import CAMPAIGN, CONTEXT, drive

REQUIRED = {
    "announcement": "article",
    "loudspeaker_notice": "script",
    "poster_caption": "poster",
    "drive_day_reminder": "script",
    "thanks": "article",
    "cancellation": "article",
    "weekly_reminder": "script",
}
DATE = "thứ Sáu, ngày 20/12/2024"
TIME = "từ 7h30 đến 11h30"


@pytest.fixture(scope="module")
def shipped() -> dict[str, Template]:
    return load_templates(shipped_templates_dir())


def make(body: str, title: str = "Tiêu đề") -> Template:
    return Template(key="thu", kind="article", title=title, body=body)


def test_every_required_template_is_shipped_with_its_kind(shipped: dict[str, Template]) -> None:
    assert {key: t.kind for key, t in shipped.items()} == REQUIRED


def test_every_shipped_template_passes_the_check(shipped: dict[str, Template]) -> None:
    for template in shipped.values():
        assert check_template(template) == [], template.key
        for text in (template.title, template.body):
            assert unicodedata.is_normalized("NFC", text)


def test_every_shipped_template_renders(shipped: dict[str, Template]) -> None:
    context = TemplateContext(drive=drive(result_units=362), campaign=CAMPAIGN)
    for template in shipped.values():
        rendered = render_template(template, context)
        assert "{" not in rendered.title + rendered.body, template.key
        assert rendered.title and rendered.body


def test_announcement_text(shipped: dict[str, Template]) -> None:
    rendered = render_template(shipped["announcement"], CONTEXT)
    assert rendered.title == (
        f"Mời tham gia Ngày hội hiến máu tình nguyện phường Tân Phong vào {DATE}"
    )
    assert rendered.body.startswith(
        "Hưởng ứng Tết và Lễ hội Xuân hồng, Ngày hội hiến máu tình nguyện phường Tân Phong "
        f"sẽ được tổ chức vào {DATE}, {TIME}, tại Nhà văn hóa tổ dân phố số 5, phường Tân Phong. "
        "Mục tiêu của đợt là tiếp nhận 350 đơn vị máu."
    )
    for fact in (
        "Thông tư 26/2013/TT-BYT",
        "từ đủ 18 đến 60 tuổi",
        "42 kg trở lên đối với nữ",
        "45 kg trở lên đối với nam",
        "12 tuần",
        "căn cước công dân (CCCD)",
        "không uống rượu, bia",
        "ăn nhẹ",
    ):
        assert fact in rendered.body


def test_loudspeaker_scripts_open_with_the_customary_greeting(
    shipped: dict[str, Template],
) -> None:
    for key in ("loudspeaker_notice", "drive_day_reminder", "weekly_reminder"):
        assert shipped[key].body.startswith("Kính thưa bà con nhân dân!\n")
    notice = render_template(shipped["loudspeaker_notice"], CONTEXT).body
    assert f"vào {DATE}, {TIME}, tại Nhà văn hóa tổ dân phố số 5, phường Tân Phong." in notice
    # Short enough for one reading: under about a minute at 190 syllables per minute.
    assert len(notice.split()) < 190


def test_drive_day_reminder_and_poster(shipped: dict[str, Template]) -> None:
    reminder = render_template(shipped["drive_day_reminder"], CONTEXT).body
    assert f"Hôm nay, {DATE}, Ngày hội hiến máu tình nguyện phường Tân Phong" in reminder
    poster = render_template(shipped["poster_caption"], CONTEXT)
    assert poster.title == "Ngày hội hiến máu tình nguyện phường Tân Phong"
    assert f"Thời gian: {DATE}, {TIME}." in poster.body
    assert "Mục tiêu: 350 đơn vị máu." in poster.body


def test_thanks_gives_results(shipped: dict[str, Template]) -> None:
    context = TemplateContext(drive=drive(result_units=1204, target_units=1000), campaign=CAMPAIGN)
    body = render_template(shipped["thanks"], context).body
    assert "đã tiếp nhận 1.204 đơn vị máu (mục tiêu của đợt: 1.000 đơn vị)" in body
    assert set(placeholders_in(shipped["thanks"])) & RESULT_PLACEHOLDERS


def test_time_without_an_end(shipped: dict[str, Template]) -> None:
    context = TemplateContext(drive=drive(ends_at=None), campaign=CAMPAIGN)
    assert f"{DATE}, 7h30, tại" in render_template(shipped["cancellation"], context).body


def test_weekly_reminder_needs_only_the_campaign(shipped: dict[str, Template]) -> None:
    context = TemplateContext(campaign=CAMPAIGN)
    rendered = render_template(shipped["weekly_reminder"], context)
    assert rendered.title == "Hưởng ứng Tết và Lễ hội Xuân hồng"


def test_misspelt_placeholder_gets_a_suggestion() -> None:
    problems = check_template(make("Ngày {drive.dat} tại {drive.locaton}"))
    assert len(problems) == 2
    assert problems[0].startswith("{drive.dat}: có phải {drive.date}?")
    assert "nội dung, dòng 1, cột 6" in problems[0]
    assert problems[1].startswith("{drive.locaton}: có phải {drive.location}?")


def test_placeholder_case_and_spaces() -> None:
    assert check_template(make("{ drive.date }")) == []
    assert render_template(make("{ drive.date }"), CONTEXT).body == DATE
    assert "có phải {drive.date}?" in check_template(make("{Drive.Date}"))[0]


@pytest.mark.parametrize(
    "placeholder",
    [
        "{drive.__class__}",
        "{drive.name.__class__}",
        "{drive.__init__.__globals__}",
        "{campaign.__dict__}",
        "{0}",
        "{drive.date:%Y}",
        "{drive[name]}",
        "{drive.date!r}",
    ],
)
def test_attribute_access_is_refused(placeholder: str) -> None:
    template = make(f"Xem {placeholder}")
    problems = check_template(template)
    assert len(problems) == 1
    assert problems[0].startswith(placeholder)
    with pytest.raises(TemplateError) as caught:
        render_template(template, CONTEXT)
    assert "class" not in caught.value.message_vi.replace(placeholder, "")


def test_unknown_placeholder_lists_the_allowed_ones() -> None:
    (problem,) = check_template(make("{drive.__class__}"))
    assert "không phải trường được phép" in problem
    for name in PLACEHOLDERS:
        assert f"{{{name}}}" in problem


def test_empty_placeholder() -> None:
    assert check_template(make("a {} b"))[0].startswith("{}: thiếu tên trường")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("Mở {drive.name", "Dấu “{” không có dấu đóng"),
        ("Đóng drive.name}", "Dấu “}” không có dấu mở"),
        ("Hai dòng {drive.\nname}", "Dấu “{” không có dấu đóng"),
    ],
)
def test_unbalanced_braces(body: str, fragment: str) -> None:
    problems = check_template(make(body))
    assert problems and fragment in problems[0]


def test_problems_in_the_title_are_located() -> None:
    (problem,) = check_template(make("Nội dung", title="{drive.nam}"))
    assert "tiêu đề, dòng 1, cột 1" in problem


def test_doubled_braces_are_literal() -> None:
    rendered = render_template(make("{{drive.name}} là {drive.name} }}"), CONTEXT)
    assert rendered.body == "{drive.name} là Ngày hội hiến máu tình nguyện phường Tân Phong }"


def test_missing_target_units_fails_in_both_languages(shipped: dict[str, Template]) -> None:
    context = TemplateContext(drive=drive(target_units=None), campaign=CAMPAIGN)
    with pytest.raises(TemplateError) as caught:
        render_template(shipped["announcement"], context)
    error = caught.value
    assert error.missing == ("drive.target_units",)
    assert "số đơn vị máu mục tiêu" in error.message_vi
    assert "trước khi lập kế hoạch" in error.message_vi
    assert "target units" in error.message_en
    assert "before planning" in error.message_en


def test_missing_results_are_named(shipped: dict[str, Template]) -> None:
    with pytest.raises(TemplateError) as caught:
        render_template(shipped["thanks"], CONTEXT)
    assert caught.value.missing == ("drive.result_units",)


def test_missing_drive_or_campaign() -> None:
    with pytest.raises(TemplateError) as caught:
        render_template(make("{drive.date} – {campaign.name}"), TemplateContext())
    assert caught.value.missing == ("drive.date", "campaign.name")
    assert "không gắn với đợt nào" in caught.value.message_vi


def test_empty_facts_count_as_missing() -> None:
    context = TemplateContext(drive=drive(location="  "), campaign=CAMPAIGN)
    with pytest.raises(TemplateError) as caught:
        render_template(make("Tại {drive.location}"), context)
    assert caught.value.missing == ("drive.location",)


def test_commune_is_named_with_its_kind() -> None:
    context = TemplateContext(drive=drive(commune_name="Bình Lư", commune_kind="xã"))
    assert render_template(make("{drive.commune}"), context).body == "xã Bình Lư"


def test_rendering_normalises_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Hiến máu tại {drive.commune}")
    context = TemplateContext(drive=drive(commune_name=unicodedata.normalize("NFD", "Tân Phong")))
    body = render_template(make(decomposed), context).body
    assert body == "Hiến máu tại phường Tân Phong"
    assert unicodedata.is_normalized("NFC", body)


def test_invalid_template_is_not_rendered() -> None:
    with pytest.raises(TemplateError, match=r"\{drive\.dat\}"):
        render_template(make("{drive.dat}"), CONTEXT)


def test_naive_drive_times_are_refused() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="starts_at"):
        drive(starts_at=datetime(2024, 12, 20, 7, 30))


def test_parse_templates_reports_every_field() -> None:
    text = """
ok:
  kind: article
  title: Được
  body: Nội dung {drive.name}
bad:
  kind: video
  title: {drive.name}
  body: "{drive.dat}"
  colour: red
Sai: []
"""
    with pytest.raises(TemplateInvalid) as caught:
        parse_templates(text)
    errors = caught.value.errors
    assert set(errors) == {"bad.kind", "bad.title", "bad.body", "bad.colour", "Sai"}
    assert "ngoặc kép" in errors["bad.title"]
    assert "có phải {drive.date}?" in errors["bad.body"]


def test_parse_templates_refuses_a_non_mapping_and_bad_yaml() -> None:
    with pytest.raises(TemplateInvalid, match="templates"):
        parse_templates("- a\n- b\n")
    with pytest.raises(TemplateInvalid, match="YAML"):
        parse_templates("a: [\n")


def test_template_dict_round_trip(shipped: dict[str, Template]) -> None:
    template = shipped["announcement"]
    assert template_from_dict(template.key, template_to_dict(template)) == template
    with pytest.raises(TemplateInvalid):
        template_from_dict("x", {"kind": "article", "title": "", "body": "b"})


def test_a_key_defined_in_two_files_is_refused(tmp_path: Path) -> None:
    text = "thu:\n  kind: script\n  title: Thử\n  body: Kính thưa bà con nhân dân!\n"
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(TemplateInvalid) as caught:
        load_templates(tmp_path)
    assert "b.yaml:thu" in caught.value.errors


def test_a_location_that_names_the_commune_is_not_followed_by_it_again() -> None:
    template = Template(
        key="notice",
        kind="script",
        title="{drive.name}",
        body="Tại {drive.location}, {drive.commune}. Hôm nay tại {drive.commune}.",
    )
    here = drive(location="Hội trường UBND phường Tân Phong")
    body = render_template(template, TemplateContext(drive=here, campaign=CAMPAIGN)).body
    assert body == "Tại Hội trường UBND phường Tân Phong. Hôm nay tại phường Tân Phong."
    elsewhere = drive(location="Hội trường UBND tỉnh Lai Châu")
    body = render_template(template, TemplateContext(drive=elsewhere, campaign=CAMPAIGN)).body
    assert body.startswith("Tại Hội trường UBND tỉnh Lai Châu, phường Tân Phong.")
