"""Content templates: Vietnamese articles, posters and scripts with drive placeholders.

Placeholders are ``{drive.date}``-style names from a fixed allowlist, found by
a regular expression and filled by a function per name. We never hand user
text to ``str.format``: its ``{drive.__class__.__init__.__globals__}``
attribute and index lookups would let a template author read the process's
memory. ``{{`` and ``}}`` write literal braces.

A value a template needs but the drive lacks (no target yet) is an error when
the plan is made, so that nothing fails later at delivery.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from publisher.planning.errors import TemplateError, TemplateInvalid
from publisher.planning.vietnamese_dates import (
    format_date_vi,
    format_number_vi,
    format_time_range_vi,
    require_aware,
)

TEMPLATE_KINDS = ("article", "poster", "script")
TEMPLATE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_TITLE = 300
MAX_BODY = 20_000

# "{{" and "}}" are escapes; a placeholder may not span lines; any other brace is unbalanced.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}|[{}]")


@dataclass(frozen=True)
class DriveFacts:
    """What a template may say about a donation drive; datetimes must be aware."""

    name: str
    starts_at: datetime
    ends_at: datetime | None
    location: str
    commune_name: str
    commune_kind: str
    target_units: int | None = None
    result_units: int | None = None

    def __post_init__(self) -> None:
        require_aware(self.starts_at, "starts_at")
        if self.ends_at is not None:
            require_aware(self.ends_at, "ends_at")


@dataclass(frozen=True)
class CampaignFacts:
    """What a template may say about a campaign."""

    name: str
    slug: str


@dataclass(frozen=True)
class TemplateContext:
    """The facts a template is rendered with; a campaign-wide reminder has no drive."""

    drive: DriveFacts | None = None
    campaign: CampaignFacts | None = None


@dataclass(frozen=True)
class Template:
    """A content template; ``kind`` is the content kind it produces."""

    key: str
    kind: str
    title: str
    body: str
    description: str = ""


@dataclass(frozen=True)
class RenderedTemplate:
    """A template filled in for one drive, in NFC."""

    title: str
    body: str


@dataclass(frozen=True)
class _Placeholder:
    label_vi: str
    label_en: str
    value: Callable[[TemplateContext], str | None]
    # Known only once the drive has taken place.
    after_drive: bool = False


def _drive(read: Callable[[DriveFacts], str | None]) -> Callable[[TemplateContext], str | None]:
    return lambda context: None if context.drive is None else read(context.drive)


def _text(value: str) -> str | None:
    return value.strip() or None


def _units(value: int | None) -> str | None:
    return None if value is None else format_number_vi(value)


def _commune(drive: DriveFacts) -> str | None:
    name = drive.commune_name.strip()
    return f"{drive.commune_kind.strip()} {name}".strip() if name else None


PLACEHOLDERS: Mapping[str, _Placeholder] = {
    "drive.name": _Placeholder("tên đợt hiến máu", "drive name", _drive(lambda d: _text(d.name))),
    "drive.date": _Placeholder(
        "ngày hiến máu", "drive date", _drive(lambda d: format_date_vi(d.starts_at))
    ),
    "drive.time": _Placeholder(
        "giờ hiến máu", "drive time", _drive(lambda d: format_time_range_vi(d.starts_at, d.ends_at))
    ),
    "drive.location": _Placeholder(
        "địa điểm", "drive location", _drive(lambda d: _text(d.location))
    ),
    "drive.commune": _Placeholder("xã, phường", "commune", _drive(_commune)),
    "drive.target_units": _Placeholder(
        "số đơn vị máu mục tiêu", "target units", _drive(lambda d: _units(d.target_units))
    ),
    "drive.result_units": _Placeholder(
        "số đơn vị máu đã tiếp nhận",
        "collected units",
        _drive(lambda d: _units(d.result_units)),
        after_drive=True,
    ),
    "campaign.name": _Placeholder(
        "tên chiến dịch",
        "campaign name",
        lambda c: None if c.campaign is None else _text(c.campaign.name),
    ),
}

RESULT_PLACEHOLDERS = frozenset(name for name, p in PLACEHOLDERS.items() if p.after_drive)


def placeholders_in(template: Template) -> tuple[str, ...]:
    """The known placeholders a template uses, in order of first use."""
    seen: dict[str, None] = {}
    for text in (template.title, template.body):
        for kind, value, _ in _tokens(text):
            if kind == "placeholder" and value.strip() in PLACEHOLDERS:
                seen.setdefault(value.strip())
    return tuple(seen)


def check_template(template: Template) -> list[str]:
    """Problems an editor must fix, in Vietnamese; an empty list means the template is usable."""
    problems: list[str] = []
    if template.kind not in TEMPLATE_KINDS:
        problems.append(f"Loại mẫu “{template.kind}” không hợp lệ (article, poster hoặc script).")
    for where, text in (("tiêu đề", template.title), ("nội dung", template.body)):
        if not text.strip():
            problems.append(f"Thiếu {where}.")
        problems.extend(_text_problems(text, where))
    return problems


def render_template(template: Template, context: TemplateContext) -> RenderedTemplate:
    """Fill a template in; raises :class:`TemplateError` for any problem or missing value."""
    problems = check_template(template)
    if problems:
        raise TemplateError(
            f"Mẫu “{template.key}” có lỗi: " + " ".join(problems),
            f"template {template.key!r} is invalid: " + " ".join(problems),
        )
    values = {name: PLACEHOLDERS[name].value(context) for name in placeholders_in(template)}
    missing = tuple(name for name, value in values.items() if value is None)
    if missing:
        raise _missing_error(template, context, missing)
    return RenderedTemplate(
        title=_fill(template.title, values).strip(),
        body=_fill(template.body, values).strip(),
    )


def template_from_dict(key: str, data: Any) -> Template:
    """Validate one template's mapping (decoded YAML or stored JSON)."""
    errors: dict[str, str] = {}
    template = _parse_one(key, data, errors)
    if template is None:
        raise TemplateInvalid(errors)
    return template


def template_to_dict(template: Template) -> dict[str, str]:
    """A JSON-ready mapping for :func:`template_from_dict` (the key is stored apart)."""
    return {
        "kind": template.kind,
        "title": template.title,
        "body": template.body,
        "description": template.description,
    }


def parse_templates(yaml_text: str) -> dict[str, Template]:
    """Parse a YAML mapping of template key to ``{kind, title, body, description?}``."""
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ở dòng {mark.line + 1}" if mark else ""
        raise TemplateInvalid({"yaml": f"Lỗi cú pháp YAML{where}."}) from exc
    if not isinstance(data, Mapping) or not data:
        raise TemplateInvalid({"templates": "Tệp mẫu phải là bảng: mã mẫu → kind, title, body."})
    errors: dict[str, str] = {}
    templates: dict[str, Template] = {}
    for key, raw in data.items():
        template = _parse_one(str(key), raw, errors)
        if template is not None:
            templates[template.key] = template
    if errors:
        raise TemplateInvalid(errors)
    return templates


def load_templates(directory: Path) -> dict[str, Template]:
    """Every template in ``directory/*.yaml``; a key defined twice is an error."""
    templates: dict[str, Template] = {}
    errors: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            found = parse_templates(path.read_text(encoding="utf-8"))
        except TemplateInvalid as exc:
            errors.update({f"{path.name}:{key}": message for key, message in exc.errors.items()})
            continue
        for key, template in found.items():
            if key in templates:
                errors[f"{path.name}:{key}"] = f"Mã mẫu “{key}” đã có ở tệp khác."
            templates[key] = template
    if errors:
        raise TemplateInvalid(errors)
    return templates


def shipped_templates_dir() -> Path:
    """``config/templates`` of this source tree."""
    return Path(__file__).resolve().parents[2] / "config" / "templates"


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """(kind, value, offset): kinds are literal, placeholder and stray (an unbalanced brace)."""
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() > position:
            yield "literal", text[position : match.start()], position
        token = match[0]
        if token in ("{{", "}}"):
            yield "literal", token[0], match.start()
        elif match[1] is not None:
            yield "placeholder", match[1], match.start()
        else:
            yield "stray", token, match.start()
        position = match.end()
    if position < len(text):
        yield "literal", text[position:], position


def _text_problems(text: str, where: str) -> list[str]:
    problems = []
    for kind, value, offset in _tokens(text):
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        at = f"{where}, dòng {line}, cột {column}"
        if kind == "stray" and value == "{":
            problems.append(
                f"Dấu “{{” không có dấu đóng “}}” ({at}); muốn in dấu ngoặc nhọn hãy viết “{{{{”."
            )
        elif kind == "stray":
            problems.append(
                f"Dấu “}}” không có dấu mở “{{” ({at}); muốn in dấu ngoặc nhọn hãy viết “}}}}”."
            )
        elif kind == "placeholder" and value.strip() not in PLACEHOLDERS:
            problems.append(_unknown_placeholder(value, at))
    return problems


def _unknown_placeholder(raw: str, at: str) -> str:
    name = raw.strip()
    if not name:
        return f"{{{raw}}}: thiếu tên trường ({at})."
    names = sorted(PLACEHOLDERS)
    close = difflib.get_close_matches(name.lower(), names, n=1, cutoff=0.6)
    if close:
        return f"{{{raw}}}: có phải {{{close[0]}}}? ({at})"
    allowed = ", ".join(f"{{{n}}}" for n in names)
    return f"{{{raw}}}: không phải trường được phép ({at}). Các trường dùng được: {allowed}."


# What may stand between "{drive.location}" and "{drive.commune}": "tại …, xã …".
_PLACE_JOINER = re.compile(r"^\s*(?:,|-|–)?\s*(?:thuộc\s+)?$")


def names_place(location: str, commune: str) -> bool:
    """True when ``location`` already says ``commune`` ("Hội trường UBND phường Tân Phong")."""
    wanted = re.findall(r"[^\W_]+", unicodedata.normalize("NFC", commune).casefold())
    words = re.findall(r"[^\W_]+", unicodedata.normalize("NFC", location).casefold())
    return bool(wanted) and any(
        words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1)
    )


def _fill(text: str, values: Mapping[str, str | None]) -> str:
    tokens = list(_tokens(unicodedata.normalize("NFC", text)))
    parts: list[str] = []
    index = 0
    while index < len(tokens):
        kind, value, _ = tokens[index]
        if kind != "placeholder":
            parts.append(value)
            index += 1
            continue
        name = value.strip()
        parts.append(str(values[name]))
        # "tại {drive.location}, {drive.commune}" with a location that already names the
        # commune would read the place twice ("… phường Tân Phong, phường Tân Phong").
        if name == "drive.location" and index + 2 < len(tokens):
            (joiner_kind, joiner, _), (next_kind, next_value, _) = tokens[index + 1 : index + 3]
            if (
                joiner_kind == "literal"
                and _PLACE_JOINER.match(joiner)
                and next_kind == "placeholder"
                and next_value.strip() == "drive.commune"
                and names_place(str(values[name]), str(values["drive.commune"]))
            ):
                index += 3
                continue
        index += 1
    return unicodedata.normalize("NFC", "".join(parts))


def _missing_error(
    template: Template, context: TemplateContext, missing: tuple[str, ...]
) -> TemplateError:
    if context.drive is not None:
        subject_vi, subject_en = f"đợt “{context.drive.name}”", f"drive {context.drive.name!r}"
    else:
        subject_vi, subject_en = "nội dung này (không gắn với đợt nào)", "this context (no drive)"
    needs_vi = ", ".join(f"{{{n}}} ({PLACEHOLDERS[n].label_vi})" for n in missing)
    needs_en = ", ".join(f"{{{n}}} ({PLACEHOLDERS[n].label_en})" for n in missing)
    return TemplateError(
        f"Mẫu “{template.key}” cần {needs_vi} nhưng {subject_vi} chưa có; "
        "hãy bổ sung trước khi lập kế hoạch.",
        f"template {template.key!r} needs {needs_en} but {subject_en} has no value; "
        "fill it in before planning.",
        missing=missing,
    )


def _parse_one(key: str, raw: Any, errors: dict[str, str]) -> Template | None:
    before = len(errors)
    if not TEMPLATE_KEY.match(key):
        errors[key] = "Mã mẫu gồm chữ thường không dấu, số và “_”, bắt đầu bằng chữ."
    if not isinstance(raw, Mapping):
        errors[key] = "Mỗi mẫu là một bảng gồm kind, title, body."
        return None
    for unknown in sorted(set(map(str, raw)) - {"kind", "title", "body", "description"}):
        errors[f"{key}.{unknown}"] = f"Không có trường “{unknown}” (dùng kind, title, body)."
    kind = raw.get("kind")
    if kind not in TEMPLATE_KINDS:
        errors[f"{key}.kind"] = "kind chỉ nhận article (bài viết), poster hoặc script (bài đọc)."
    fields: dict[str, str] = {}
    for name, label, limit in (("title", "Tiêu đề", MAX_TITLE), ("body", "Nội dung", MAX_BODY)):
        value = raw.get(name)
        if isinstance(value, Mapping):
            # An unquoted YAML value that starts with "{" is read as a mapping.
            errors[f"{key}.{name}"] = f"{label} bắt đầu bằng “{{” phải đặt trong ngoặc kép."
        elif not isinstance(value, str) or not value.strip():
            errors[f"{key}.{name}"] = f"Thiếu {label.lower()}."
        elif len(value) > limit:
            errors[f"{key}.{name}"] = f"{label} dài quá {limit} ký tự."
        else:
            fields[name] = unicodedata.normalize("NFC", value.strip())
            where = "tiêu đề" if name == "title" else "nội dung"
            problems = _text_problems(fields[name], where)
            if problems:
                errors[f"{key}.{name}"] = " ".join(problems)
    description = raw.get("description") or ""
    if not isinstance(description, str):
        errors[f"{key}.description"] = "Mô tả phải là văn bản."
    if len(errors) > before:
        return None
    return Template(
        key=key,
        kind=kind,
        title=fields["title"],
        body=fields["body"],
        description=description.strip(),
    )
