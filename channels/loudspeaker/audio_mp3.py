"""MP3 bulletins: each part spoken (or recorded) once, evened out, encoded once, then joined.

A bulletin is the station's opening lines, each item read as many times as scheduled
with pauses between, and the closing lines, per session. Every part is a *segment*:
decoded to PCM, loudness-normalised on its own (so a quiet human recording and
espeak-ng's loud voice air at the same level), then encoded to MP3 once. MPEG audio
frames join end to end, so a bulletin is its segments' frames in order and the same
item shared by 38 communes is synthesised and encoded once per renderer.

Mono, 22.05 kHz, constant 48 kbit/s (about 360 KB a minute): small enough for a phone
on a weak connection, and clear enough for speech on a horn.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import lameenc
import numpy as np
from mutagen.id3 import COMM, ID3, TALB, TDRC, TIT2, TLAN, TPE1

from channels.loudspeaker.audio import render_audio
from channels.loudspeaker.audio_pcm import SAMPLE_RATE, decode_any, normalise, silence
from channels.loudspeaker.bulletin import Bulletin, BulletinItem

BITRATE_KBPS = 48
# LAME's quality knob (0 best, 9 fastest): 5 is its default trade-off, and speech at
# 48 kbit/s gains nothing audible from slower settings.
ENCODER_QUALITY = 5
PAUSE_AFTER_OPENING = 1.0
PAUSE_BETWEEN_REPEATS = 2.0
PAUSE_BETWEEN_ITEMS = 3.0
PAUSE_BETWEEN_SESSIONS = 5.0

Speaker = Callable[[str], np.ndarray]


def espeak_speaker(text: str) -> np.ndarray:
    """Synthetic speech (espeak-ng's Vietnamese voice) as PCM; raises ``AudioUnavailable``."""
    return decode_any(render_audio(text))


def encode_mp3(samples: np.ndarray) -> bytes:
    """Mono 16-bit PCM at ``SAMPLE_RATE`` as constant-bitrate MP3 frames."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE_KBPS)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(ENCODER_QUALITY)
    return bytes(encoder.encode(samples.astype("<i2").tobytes()) + encoder.flush())


def tagged(mp3: bytes, *, title: str, artist: str, album: str, day: str, comment: str) -> bytes:
    """MP3 frames with an ID3v2.3 tag in front (v2.3: what cheap players and platforms read)."""
    tags = ID3()
    tags.add(TIT2(encoding=3, text=[title]))
    tags.add(TPE1(encoding=3, text=[artist]))
    tags.add(TALB(encoding=3, text=[album]))
    tags.add(TDRC(encoding=3, text=[day]))
    tags.add(TLAN(encoding=3, text=["vie"]))
    tags.add(COMM(encoding=3, lang="vie", desc="", text=[comment]))
    out = io.BytesIO(mp3)
    tags.save(out, v2_version=3)
    return out.getvalue()


@dataclass(frozen=True)
class Segment:
    """Encoded MP3 frames of one part and its length."""

    mp3: bytes
    seconds: float


@dataclass(frozen=True)
class RenderedAudio:
    """An MP3 file and how long it plays."""

    data: bytes
    seconds: float


@dataclass(frozen=True)
class ItemAudio:
    """One item read once, and whether a person read it (else synthetic speech)."""

    item: BulletinItem
    audio: RenderedAudio
    recorded: bool


def item_is_recorded(item: BulletinItem, recordings: Mapping[str, bytes]) -> bool:
    """True when the item's approved recording is at hand (it then replaces synthetic speech)."""
    return item.recording_sha256 is not None and item.recording_sha256 in recordings


class AudioRenderer:
    """Renders bulletins and items, keeping each encoded segment for the renderer's life.

    One renderer serves one job (a day's bulletins for many communes): the memory it
    keeps is the encoded segments, about 6 KB per second of distinct speech.
    """

    def __init__(self, speak: Speaker = espeak_speaker) -> None:
        self._speak = speak
        self._segments: dict[tuple[str, str], Segment] = {}

    def _segment(self, key: tuple[str, str], make: Callable[[], np.ndarray]) -> Segment:
        segment = self._segments.get(key)
        if segment is None:
            mp3 = encode_mp3(make())
            # Constant bitrate, no Xing header: the length is the size over the rate,
            # encoder delay and padding included, exactly what players and parsers see.
            segment = Segment(mp3, len(mp3) * 8 / (BITRATE_KBPS * 1000))
            self._segments[key] = segment
        return segment

    def spoken(self, text: str) -> Segment:
        """A line or an item in synthetic speech, normalised."""
        return self._segment(("speech", text), lambda: normalise(self._speak(text)))

    def recorded(self, sha256: str, data: bytes) -> Segment:
        """A person's recording, normalised to the same level as the synthetic speech."""
        return self._segment(("recording", sha256), lambda: normalise(decode_any(data)))

    def pause(self, seconds: float) -> Segment:
        return self._segment(("pause", f"{seconds:g}"), lambda: silence(seconds))

    def item_segment(self, item: BulletinItem, recordings: Mapping[str, bytes]) -> Segment:
        if item_is_recorded(item, recordings):
            sha = item.recording_sha256 or ""
            return self.recorded(sha, recordings[sha])
        return self.spoken(item.reading_text)

    def bulletin(self, bulletin: Bulletin, recordings: Mapping[str, bytes]) -> RenderedAudio:
        """The day's bulletin: each session's opening, items × repeats, closing, with pauses."""
        parts: list[Segment] = []
        for number, slot in enumerate(bulletin.slots):
            if number:
                parts.append(self.pause(PAUSE_BETWEEN_SESSIONS))
            parts += [self.spoken(line) for line in slot.opening]
            parts.append(self.pause(PAUSE_AFTER_OPENING))
            if slot.empty_notice:
                parts += [self.spoken(slot.empty_notice), self.pause(PAUSE_BETWEEN_ITEMS)]
            for entry in slot.entries:
                reading = self.item_segment(entry.item, recordings)
                for repeat in range(entry.item.repeats):
                    if repeat:
                        parts.append(self.pause(PAUSE_BETWEEN_REPEATS))
                    parts.append(reading)
                parts.append(self.pause(PAUSE_BETWEEN_ITEMS))
            parts += [self.spoken(line) for line in slot.closing]
        title = f"{bulletin.title} ngày {bulletin.day:%d/%m/%Y}"
        data = tagged(
            b"".join(part.mp3 for part in parts),
            title=title,
            artist=bulletin.issuer,
            album="Bản tin truyền thanh",
            day=bulletin.day.isoformat(),
            comment=_voice_note(bulletin, recordings),
        )
        return RenderedAudio(data, sum(part.seconds for part in parts))

    def item(self, item: BulletinItem, recordings: Mapping[str, bytes]) -> ItemAudio:
        """One item read once (platforms repeat it by the schedule), tagged with its title."""
        segment = self.item_segment(item, recordings)
        recorded = item_is_recorded(item, recordings)
        data = tagged(
            segment.mp3,
            title=item.title,
            artist="Người đọc" if recorded else "Giọng đọc máy (bản nháp)",
            album="Bản tin truyền thanh",
            day=item.scheduled_at.date().isoformat(),
            comment="Bản ghi âm người đọc" if recorded else "Giọng đọc máy — chỉ để tham khảo",
        )
        return ItemAudio(item, RenderedAudio(data, segment.seconds), recorded)


def _voice_note(bulletin: Bulletin, recordings: Mapping[str, bytes]) -> str:
    items = [entry.item for slot in bulletin.slots for entry in slot.entries]
    people = sum(1 for item in items if item_is_recorded(item, recordings))
    if items and people == len(items):
        return "Các tin do người đọc; lời mở đầu và kết thúc bằng giọng đọc máy."
    return f"{people}/{len(items)} tin do người đọc; phần còn lại là giọng đọc máy (bản nháp)."
