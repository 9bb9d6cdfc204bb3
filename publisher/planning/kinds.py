"""What planning asks of a channel kind, answered by the kind's adapter.

Planning never compares a kind with a name: whether a channel is broadcast in
named daily slots, serves only some communes, or needs a poster's image is a
trait its adapter declares (``channels.base.Adapter``), and the kinds a playbook
may name are the registered ones. Kinds still appear in playbooks and reminders
as data. A kind no longer registered (a channel left over from a removed
adapter) has every trait off and its own name as label.
"""

from __future__ import annotations

from collections.abc import Collection

from channels import registry
from channels.base import Adapter


def adapter_for(kind: str) -> type[Adapter] | None:
    """The adapter class of ``kind``, or None for a kind no longer registered."""
    try:
        return registry.adapter_class(kind)
    except KeyError:
        return None


def has_trait(kind: str, trait: str) -> bool:
    """Whether the adapter of ``kind`` declares ``trait`` (e.g. ``"serves_communes"``)."""
    cls = adapter_for(kind)
    return bool(cls is not None and getattr(cls, trait))


def channel_kinds() -> tuple[str, ...]:
    """Every registered kind, in registry order: what ``channels: all`` means."""
    return tuple(registry.kinds())


def slot_kinds() -> tuple[str, ...]:
    """The kinds broadcast in named daily slots (``scheduled_in_slots``)."""
    return tuple(registry.kinds_where("scheduled_in_slots"))


def only_slot_kinds(channels: Collection[str]) -> bool:
    """Whether every kind named is broadcast in slots, so a step or reminder may name a slot."""
    slotted = set(slot_kinds())
    return bool(slotted) and set(channels) <= slotted


def short_label(kind: str) -> str:
    """The kind's short Vietnamese name (calendars, messages); the kind itself if unknown."""
    cls = adapter_for(kind)
    if cls is None:
        return kind
    return cls.short_label or cls.label or kind


def kinds_hint() -> str:
    """The registered kinds, for a message that lists what may be written."""
    return ", ".join(channel_kinds())


def slot_kinds_vi() -> str:
    """The slot-broadcast kinds in words, for a message (e.g. "loa truyền thanh")."""
    return ", ".join(short_label(kind).lower() for kind in slot_kinds()) or "có khung giờ"
