"""Sound as numbers: decoding uploads and speech, measuring and evening out loudness.

Everything is mono 16-bit PCM at ``SAMPLE_RATE``: espeak-ng's own rate, plenty for a
voice on an outdoor horn, and a rate the MP3 encoder takes at 48 kbit/s. miniaudio
decodes MP3, FLAC, Ogg Vorbis and WAV in-process (no system tool) and resamples and
mixes down on the way.
"""

from __future__ import annotations

from dataclasses import dataclass

import miniaudio
import numpy as np

from channels.loudspeaker.audio import AudioRejected

SAMPLE_RATE = 22050
# Loudness target for every segment (opening lines, items, recordings): a gated RMS in
# dBFS. Around -20 dBFS leaves headroom for speech peaks; what matters is that a soft
# recording and espeak-ng's loud voice come out at the same level.
TARGET_DBFS = -20.0
PEAK_CEILING_DBFS = -1.0
_BLOCK = SAMPLE_RATE // 20  # 50 ms blocks for the gated measurement
_ABSOLUTE_GATE_DBFS = -60.0
_RELATIVE_GATE_DB = -20.0
_FULL_SCALE = 32768.0


@dataclass(frozen=True)
class DecodedAudio:
    """Mono int16 samples at ``SAMPLE_RATE`` and what the file was."""

    samples: np.ndarray
    format: str
    seconds: float


def sniff_format(data: bytes) -> str | None:
    """The container by its first bytes: mp3, wav, ogg, flac, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def _info(data: bytes, fmt: str) -> miniaudio.SoundFileInfo:
    readers = {
        "mp3": miniaudio.mp3_get_info,
        "wav": miniaudio.wav_get_info,
        "ogg": miniaudio.vorbis_get_info,
        "flac": miniaudio.flac_get_info,
    }
    return readers[fmt](data)


def decode_upload(data: bytes, *, max_seconds: float) -> DecodedAudio:
    """Decode an uploaded reading for real; ``AudioRejected`` (Vietnamese) when unusable.

    The length is read from the header first, so an hour-long file is refused before
    it is decoded into memory.
    """
    fmt = sniff_format(data)
    if fmt is None:
        raise AudioRejected(
            "Tệp không phải âm thanh MP3, WAV, OGG hoặc FLAC / not an MP3, WAV, OGG or FLAC file"
        )
    try:
        info = _info(data, fmt)
        if info.duration > max_seconds + 0.5:
            raise AudioRejected(
                f"Bản ghi dài {info.duration / 60:.1f} phút, quá {max_seconds / 60:g} phút "
                f"cho phép / the recording is longer than {max_seconds:g} s"
            )
        decoded = miniaudio.decode(
            data,
            output_format=miniaudio.SampleFormat.SIGNED16,
            nchannels=1,
            sample_rate=SAMPLE_RATE,
        )
    except miniaudio.DecodeError as error:
        raise AudioRejected(
            f"Không đọc được tệp âm thanh (hỏng hoặc sai định dạng) / cannot decode: {error}"
        ) from None
    samples = np.frombuffer(bytes(decoded.samples), dtype=np.int16)
    seconds = len(samples) / SAMPLE_RATE
    if seconds > max_seconds + 0.5:
        raise AudioRejected(
            f"Bản ghi dài quá {max_seconds / 60:g} phút / longer than {max_seconds:g} s"
        )
    if seconds < 0.5 or not np.any(samples):
        raise AudioRejected("Bản ghi không có tiếng / the recording is empty or silent")
    return DecodedAudio(samples=samples, format=fmt, seconds=seconds)


def decode_any(data: bytes) -> np.ndarray:
    """Mono int16 samples at ``SAMPLE_RATE`` of trusted audio (espeak-ng's WAV, a stored upload)."""
    decoded = miniaudio.decode(
        data, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=SAMPLE_RATE
    )
    return np.frombuffer(bytes(decoded.samples), dtype=np.int16)


def loudness_dbfs(samples: np.ndarray) -> float:
    """Gated RMS level in dBFS: 50 ms blocks, leaving out silence and pauses between words.

    The gates follow the idea of ITU-R BS.1770 (an absolute floor, then blocks well below
    the average are dropped) without its K-weighting, which matters little for speech.
    """
    x = samples.astype(np.float64) / _FULL_SCALE
    # The last partial block counts too (padded with silence): a burst at the very end
    # must not escape the measurement.
    x = np.concatenate([x, np.zeros(-len(x) % _BLOCK)])
    blocks = np.mean(x.reshape(-1, _BLOCK) ** 2, axis=1) if len(x) else np.array([0.0])
    floor = 10 ** (_ABSOLUTE_GATE_DBFS / 10)
    loud = blocks[blocks > floor]
    if loud.size == 0:
        return float("-inf")
    relative = np.mean(loud) * 10 ** (_RELATIVE_GATE_DB / 10)
    kept = loud[loud > relative]
    return float(10 * np.log10(np.mean(kept)))


def normalise(samples: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """Scale to the loudness target, never past the peak ceiling (no clipping)."""
    level = loudness_dbfs(samples)
    if level == float("-inf"):
        return samples
    gain = 10 ** ((target_dbfs - level) / 20)
    peak = float(np.max(np.abs(samples.astype(np.int32)))) or 1.0
    ceiling = _FULL_SCALE * 10 ** (PEAK_CEILING_DBFS / 20)
    gain = min(gain, ceiling / peak)
    scaled = np.round(samples.astype(np.float64) * gain)
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    """A pause."""
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.int16)
