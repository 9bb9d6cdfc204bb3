"""Sounds for the audio tests: tones as WAV/MP3 files, and finding a tone in decoded audio."""

from __future__ import annotations

import io
import shutil
import wave

import miniaudio
import numpy as np
import pytest

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (make test installs it)"
)
RATE = 22050


def tone(frequency: float, seconds: float, rate: int = RATE, level: float = 0.1) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.round(np.sin(2 * np.pi * frequency * t) * level * 32767).astype(np.int16)


def wav_bytes(samples: np.ndarray, rate: int = RATE, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def mp3_bytes(samples: np.ndarray, rate: int = RATE, kbps: int = 32) -> bytes:
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(kbps)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(samples.astype("<i2").tobytes()) + encoder.flush())


def decoded(mp3: bytes) -> np.ndarray:
    audio = miniaudio.decode(
        mp3, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=RATE
    )
    return np.frombuffer(bytes(audio.samples), dtype=np.int16).astype(np.float64)


def tone_share(samples: np.ndarray, frequency: float, window: float = 0.5) -> float:
    """The largest share of a window's energy within ±15 Hz of ``frequency``.

    A pure tone scores close to 1; speech spreads its energy and stays far below.
    """
    size = int(window * RATE)
    freqs = np.fft.rfftfreq(size, 1 / RATE)
    band = np.abs(freqs - frequency) <= 15
    best = 0.0
    for start in range(0, len(samples) - size, size // 2):
        spectrum = np.abs(np.fft.rfft(samples[start : start + size])) ** 2
        total = spectrum.sum()
        if total > 1e3 * size:
            best = max(best, float(spectrum[band].sum() / total))
    return best


def _crc(data: bytes, poly: int, bits: int) -> int:
    crc, top, mask = 0, 1 << (bits - 1), (1 << bits) - 1
    for byte in data:
        crc ^= byte << (bits - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & mask if crc & top else (crc << 1) & mask
    return crc


def flac_bytes(samples: np.ndarray, rate: int = RATE, block: int = 4096) -> bytes:
    """A minimal valid FLAC file (mono, 16-bit, verbatim subframes) written by hand, since
    nothing on PyPI that the service uses encodes FLAC; at most 127 frames."""
    total = len(samples)
    info = (
        block.to_bytes(2, "big")
        + block.to_bytes(2, "big")
        + bytes(6)  # frame sizes unknown
        + ((rate << 44) | (0 << 41) | (15 << 36) | total).to_bytes(8, "big")
        + bytes(16)  # MD5 left unset, which the format allows
    )
    out = bytearray(b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info)
    for number, start in enumerate(range(0, total, block)):
        chunk = samples[start : start + block].astype(">i2")
        header = bytes([0xFF, 0xF8, 0x70, 0x08, number]) + (len(chunk) - 1).to_bytes(2, "big")
        header += bytes([_crc(header, 0x07, 8)])
        frame = header + b"\x02" + chunk.tobytes()
        out += frame + _crc(frame, 0x8005, 16).to_bytes(2, "big")
    return bytes(out)
