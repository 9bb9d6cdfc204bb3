"""Draft audio through espeak-ng."""

from __future__ import annotations

import struct

import pytest

from channels.loudspeaker import AudioUnavailable, audio_available, render_audio
from channels.loudspeaker import audio as audio_module

needs_espeak = pytest.mark.skipif(not audio_available(), reason="espeak-ng is not installed")


@needs_espeak
def test_render_audio_returns_a_wav() -> None:
    wav = render_audio("Kính thưa bà con nhân dân! Đợt hiến máu tình nguyện ngày hai mươi.")
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    assert len(wav) > 20_000
    # The sizes are filled in, so players that trust the header see the whole file.
    assert struct.unpack_from("<I", wav, 4)[0] == len(wav) - 8
    data_at = wav.index(b"data")
    assert struct.unpack_from("<I", wav, data_at + 4)[0] == len(wav) - data_at - 8


@needs_espeak
def test_render_audio_rejects_empty_text() -> None:
    with pytest.raises(ValueError):
        render_audio("   ")


def test_missing_espeak_raises_audio_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulates a machine without espeak-ng by emptying the search path.
    monkeypatch.setenv("PATH", "")
    assert audio_module.audio_available() is False
    with pytest.raises(AudioUnavailable):
        render_audio("Kính thưa bà con")
