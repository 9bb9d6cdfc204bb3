"""MP3 assembly: parts in order, repeats and pauses, every part at the same loudness."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import miniaudio
import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from channels.loudspeaker import BulletinItem, build_bulletin
from channels.loudspeaker.audio_mp3 import PAUSE_BETWEEN_REPEATS, AudioRenderer
from channels.loudspeaker.audio_pcm import (
    SAMPLE_RATE,
    AudioRejected,
    decode_upload,
    loudness_dbfs,
    normalise,
    sniff_format,
)

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2030, 6, 14)


def tone(hz: float, seconds: float, level: float) -> np.ndarray:
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return np.round(np.sin(2 * np.pi * hz * t) * level * 32767).astype(np.int16)


def wav(samples: np.ndarray) -> bytes:
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(SAMPLE_RATE)
        audio.writeframes(samples.tobytes())
    return out.getvalue()


def loud_voice(text: str) -> np.ndarray:
    """A stand-in voice for the assembly (espeak-ng itself is tested over HTTP): a loud
    300 Hz tone lasting 0.1 s per word, so lengths follow the words."""
    return tone(300, 0.1 * len(text.split()), 0.6)


def test_normalise_evens_out_a_whisper_and_a_shout():
    whisper, shout = tone(440, 2, 0.005), tone(440, 2, 0.9)
    assert loudness_dbfs(shout) - loudness_dbfs(whisper) > 40
    levels = [loudness_dbfs(normalise(x)) for x in (whisper, shout)]
    assert abs(levels[0] - levels[1]) < 0.5
    assert abs(levels[0] - -20.0) < 0.5


def test_normalise_never_clips():
    spiky = np.concatenate([tone(440, 2, 0.001), tone(440, 0.01, 1.0)])
    out = normalise(spiky)
    assert np.max(np.abs(out.astype(np.int32))) < 32767 * 0.9


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"RIFF\0\0\0\0WAVEfmt ", "wav"),
        (b"OggS\0\2", "ogg"),
        (b"fLaC\0\0", "flac"),
        (b"ID3\4\0", "mp3"),
        (b"\xff\xfb\x90\x00", "mp3"),
        (b"%PDF-1.7", None),
        (b"<html>", None),
    ],
)
def test_sniff_format(head, fmt):
    assert sniff_format(head) == fmt


def test_decode_upload_resamples_stereo_to_mono():
    samples = tone(500, 1.5, 0.3)
    out = io.BytesIO()
    import wave

    with wave.open(out, "wb") as audio:
        audio.setnchannels(2)
        audio.setsampwidth(2)
        audio.setframerate(44100)
        audio.writeframes(np.repeat(np.repeat(samples, 2), 2).tobytes())
    decoded = decode_upload(out.getvalue(), max_seconds=60)
    assert decoded.format == "wav"
    assert abs(decoded.seconds - 1.5) < 0.01
    with pytest.raises(AudioRejected, match="dài"):
        decode_upload(out.getvalue(), max_seconds=0.9)


def _item(pid: int, slot: str, repeats: int, sha: str | None = None) -> BulletinItem:
    hour = 6 if slot == "morning" else 17
    return BulletinItem(
        publication_id=pid,
        title=f"Tin {pid}",
        text="x",
        reading_text="mời bà con đến hiến máu " * 4,
        priority="normal",
        slot=slot,
        repeats=repeats,
        scheduled_at=datetime(2030, 6, 14, hour, tzinfo=LOCAL),
        recording_sha256=sha,
        recording_seconds=3 if sha else None,
    )


def _levels(mp3: bytes) -> tuple[np.ndarray, float]:
    audio = miniaudio.decode(
        mp3, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=SAMPLE_RATE
    )
    return np.frombuffer(bytes(audio.samples), dtype=np.int16), audio.duration


def test_bulletin_repeats_items_with_pauses_and_evens_out_a_quiet_recording():
    quiet = wav(tone(1000, 3, 0.01))
    bulletin = build_bulletin(
        "03408",
        "Tân Phong",
        "phường",
        DAY,
        [_item(1, "morning", 3), _item(2, "evening", 2, sha="abc")],
    )
    renderer = AudioRenderer(speak=loud_voice)
    audio = renderer.bulletin(bulletin, {"abc": quiet})
    assert ID3(io.BytesIO(audio.data))["TIT2"].text == [
        "Bản tin truyền thanh phường Tân Phong ngày 14/06/2030"
    ]
    info = MP3(io.BytesIO(audio.data)).info
    assert info.channels == 1 and info.bitrate == 48_000
    samples, seconds = _levels(audio.data)
    assert abs(seconds - audio.seconds) < 0.5
    # The quiet 1 kHz recording and the loud 300 Hz "voice" come out at the same level.
    block = SAMPLE_RATE // 2
    spectra = []
    for start in range(0, len(samples) - block, block):
        chunk = samples[start : start + block].astype(np.float64)
        spectrum = np.abs(np.fft.rfft(chunk))
        peak = np.fft.rfftfreq(block, 1 / SAMPLE_RATE)[np.argmax(spectrum)]
        if np.sqrt(np.mean(chunk**2)) > 300:
            spectra.append((round(peak, -2), 20 * np.log10(np.sqrt(np.mean(chunk**2)) / 32768)))
    voice = [db for hz, db in spectra if hz == 300]
    recording = [db for hz, db in spectra if hz == 1000]
    assert voice and recording
    assert abs(np.median(voice) - np.median(recording)) < 1.5
    # Item 2 (3 s recording) aired twice, item 1 three times, with the pauses between.
    assert len(recording) >= 2 * 5  # two airings of 3 s in half-second blocks
    # A pause lasts what it says (plus the encoder's few milliseconds of padding).
    assert abs(renderer.pause(PAUSE_BETWEEN_REPEATS).seconds - PAUSE_BETWEEN_REPEATS) < 0.1
    assert renderer.item(_item(2, "evening", 2, sha="abc"), {"abc": quiet}).recorded


def test_a_shared_item_is_rendered_once():
    calls: list[str] = []

    def counting_voice(text: str) -> np.ndarray:
        calls.append(text)
        return loud_voice(text)

    renderer = AudioRenderer(speak=counting_voice)
    for code, name in (("03408", "Tân Phong"), ("03388", "Đoàn Kết")):
        bulletin = build_bulletin(code, name, "phường", DAY, [_item(1, "morning", 2)])
        renderer.bulletin(bulletin, {})
    item_text = _item(1, "morning", 2).reading_text
    assert calls.count(item_text) == 1
