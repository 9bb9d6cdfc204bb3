"""Draft audio of a reading text with espeak-ng, the only offline Vietnamese voice.

espeak-ng sounds robotic: the audio is a draft aid for operators (to hear the
length and the spelled-out numbers), never a broadcast-ready recording, and the
web layer labels it so. ``-s 130`` words per minute gives about 190 Vietnamese
syllables per minute, the planning rate of ``reading_seconds``.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import unicodedata

ESPEAK = "espeak-ng"
VOICE = "vi"
SPEED = 130
# Seconds allowed per call: espeak-ng synthesises far faster than real time,
# so this only stops a hung process.
DEFAULT_TIMEOUT = 60.0


# The containers a person's recording may come in, and their media types.
RECORDING_FORMATS = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
}


class AudioRejected(ValueError):
    """An upload that is not usable audio; the message is for the person who sent it."""


class AudioUnavailable(RuntimeError):
    """Audio cannot be produced here: espeak-ng is not installed, or it failed."""


class AudioFailed(AudioUnavailable):
    """espeak-ng is installed but did not produce audio (error or timeout)."""


def audio_available() -> bool:
    """True when espeak-ng is on the PATH."""
    return shutil.which(ESPEAK) is not None


def _fix_sizes(wav: bytes) -> bytes:
    """Fill in the RIFF and data sizes, which espeak-ng leaves unset when writing to a pipe."""
    if len(wav) < 44 or wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise AudioFailed("espeak-ng did not produce a WAV file")
    data = bytearray(wav)
    data[4:8] = struct.pack("<I", len(wav) - 8)
    position = 12
    while position + 8 <= len(data):
        chunk, size = data[position : position + 4], struct.unpack_from("<I", data, position + 4)[0]
        if chunk == b"data":
            data[position + 4 : position + 8] = struct.pack("<I", len(wav) - position - 8)
            break
        position += 8 + size + (size & 1)
    return bytes(data)


def render_audio(text: str, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """WAV bytes of ``text`` read by espeak-ng's Vietnamese voice (a draft aid).

    Pass the reading version (``spell_out``), since espeak-ng reads digits and
    abbreviations its own way. Raises ``AudioUnavailable`` when espeak-ng is not
    installed and ``AudioFailed`` (a subclass) when it fails or times out.
    """
    executable = shutil.which(ESPEAK)
    if executable is None:
        raise AudioUnavailable("espeak-ng is not installed (Debian package espeak-ng)")
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise ValueError("no text to read")
    try:
        # Text goes through stdin so that a leading "-" or a long script is never
        # taken for an option or hits the argument length limit.
        completed = subprocess.run(
            [executable, "-v", VOICE, "-s", str(SPEED), "--stdout", "--stdin"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise AudioFailed(f"espeak-ng took longer than {timeout:g} s") from error
    except OSError as error:
        raise AudioFailed(f"espeak-ng could not start: {error}") from error
    if completed.returncode != 0:
        detail = completed.stderr.decode("utf-8", "replace").strip()[:500]
        raise AudioFailed(f"espeak-ng exited with {completed.returncode}: {detail}")
    return _fix_sizes(completed.stdout)
