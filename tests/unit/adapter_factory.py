"""Adapters built on an emulator for one test, each closed when the test ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from channels.base import Adapter, ChannelConfig, CredentialStore

A = TypeVar("A", bound=Adapter)


def adapters_on(
    adapter_class: type[A],
    *,
    slug: str,
    name: str,
    base_settings: Mapping[str, Any],
    base_options: Mapping[str, Any],
    store: CredentialStore | None = None,
) -> Iterator[Callable[..., A]]:
    """For a ``make_adapter`` fixture: ``yield from adapters_on(...)``.

    ``build(settings=..., **options)`` lays its arguments over the base ones. ``base_settings``
    is read at each build, so a store that saves into it hands later adapters rotated tokens.
    """
    made: list[A] = []

    def build(*, settings: dict[str, Any] | None = None, **options: Any) -> A:
        config = ChannelConfig(
            channel_id=1,
            slug=slug,
            name=name,
            settings={**base_settings, **(settings or {})},
            options={**base_options, **options},
            store=store,
        )
        adapter = adapter_class(config)
        made.append(adapter)
        return adapter

    yield build
    for adapter in made:
        adapter.close()
