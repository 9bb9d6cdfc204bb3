"""A delivery in two processes: the forking worker prepares and records, its horse calls.

A delivery is three steps (publisher.delivery.pipeline): *prepare* (claim, checks,
rendering, the attempt row, committed), the channel *call*, and *recording* its outcome.
Run whole in a work horse, the two database steps ran cold in every fork: each touched
page of the worker's memory was copied, the ORM's and the driver's code ran for the first
time in that process, and the whole cost the horse several times what the same steps cost
a process that keeps running. The forking worker (publisher.horses) now prepares and
records in its own process, warm, and forks the horse only for the call, the step that
talks to the outside world and needs the horse's isolation (a timeout kills it, a crash
is its own).

This module holds what passes between the steps and across the fork:

- :class:`Ready` and :class:`Called`, the state after preparing and after calling;
- the hand-over registry, in which the worker leaves the rest of a delivery it began for
  the horse's ``deliver(publication_id)`` to find (the horse's memory is a copy);
- :class:`OutcomeBox`, a page of memory shared with every horse, through which the horse
  hands the call's outcome back. An outcome too large for it is recorded by the horse
  itself; a horse killed mid-call hands nothing back, and the row's lease runs out as
  it would have before (reconciliation asks the channel).

Durability is as before: the claim and the attempt row are committed before the fork, the
outcome after the call.
"""

from __future__ import annotations

import json
import mmap
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import channels.base as channel_errors
from channels.base import ChannelError, DeliveryResult

BOX_BYTES = 256 * 1024
_HEADER = struct.Struct("<BI")  # state, payload length
EMPTY, CALLED, RECORDED = 0, 1, 2
# What the horse's job returns when it handed the outcome back for the worker to record.
HANDED_BACK = "handed back"


@dataclass
class Ready:
    """A claimed, checked and rendered delivery, its claim and attempt row committed: only
    the channel call (or, for a row to reconcile, the lookup first) and its outcome are left."""

    pub: Any
    channel: Any
    adapter: Any
    post: Any
    token: str
    attempt_id: int
    claimed_at: datetime
    lapsed: str | None


@dataclass(frozen=True)
class Called:
    """What one channel call gave: a result, or the error it raised (``Unknown`` for a
    fault in the adapter, since the call may have gone through)."""

    result: DeliveryResult | None = None
    error: ChannelError | None = None


_handed: dict[int, Callable[[], str]] = {}


def hand_over(publication_id: int, rest: Callable[[], str] | None) -> None:
    """Leave what ``deliver(publication_id)`` runs instead of a whole delivery (None: nothing)."""
    _handed.clear()
    if rest is not None:
        _handed[publication_id] = rest


def take_handed(publication_id: int) -> Callable[[], str] | None:
    return _handed.pop(publication_id, None)


def _error_fields(exc: ChannelError) -> tuple[Any, ...]:
    # The nearest class of channels.base: the recorder only asks isinstance() of those.
    base = next(c for c in type(exc).__mro__ if c.__module__ == channel_errors.__name__)
    retry_after = getattr(exc, "retry_after", None)
    return (base.__name__, exc.error_class, str(exc), exc.excerpt, exc.code, retry_after)


def _error_from(fields: tuple[Any, ...]) -> ChannelError:
    name, error_class, message, excerpt, code, retry_after = fields
    cls = getattr(channel_errors, name)
    if not (isinstance(cls, type) and issubclass(cls, ChannelError)):
        raise ValueError(f"not a channel error: {name}")
    if retry_after is not None and issubclass(cls, channel_errors.RateLimited):
        exc = cls(message, retry_after=retry_after, excerpt=excerpt, code=code)
    else:
        exc = cls(message, excerpt=excerpt, code=code)
    if exc.error_class != error_class:
        exc.error_class = error_class  # type: ignore[misc]
    return exc


class OutcomeBox:
    """Shared memory (anonymous, MAP_SHARED) that carries a :class:`Called` from a horse
    back to the worker. Only plain values cross: strings, numbers, None."""

    def __init__(self, size: int = BOX_BYTES) -> None:
        self.memory = mmap.mmap(-1, size)

    def clear(self) -> None:
        self.memory[: _HEADER.size] = _HEADER.pack(EMPTY, 0)

    def put(self, called: Called) -> bool:
        """In the horse: False when the outcome does not fit or is not plain values (the
        horse records it then)."""
        if called.error is not None:
            value: tuple[Any, ...] = ("error", _error_fields(called.error))
        else:
            r = called.result
            assert r is not None
            value = ("result", (r.external_id, r.external_url, r.excerpt, r.throttle_seconds))
        try:
            payload = json.dumps(value).encode()
        except (TypeError, ValueError):  # an adapter's value JSON cannot carry
            return False
        if _HEADER.size + len(payload) > len(self.memory):
            return False
        self.memory[_HEADER.size : _HEADER.size + len(payload)] = payload
        self.memory[: _HEADER.size] = _HEADER.pack(CALLED, len(payload))  # last: complete
        return True

    def mark_recorded(self) -> None:
        self.memory[: _HEADER.size] = _HEADER.pack(RECORDED, 0)

    def state(self) -> int:
        return _HEADER.unpack(self.memory[: _HEADER.size])[0]

    def take(self) -> Called | None:
        """In the worker, after the horse: the outcome it handed back, if it did."""
        state, length = _HEADER.unpack(self.memory[: _HEADER.size])
        if state != CALLED:
            return None
        kind, fields = json.loads(self.memory[_HEADER.size : _HEADER.size + length])
        self.clear()
        if kind == "error":
            return Called(error=_error_from(fields))
        external_id, external_url, excerpt, throttle = fields
        return Called(result=DeliveryResult(external_id, external_url, excerpt, throttle))
