"""Real small videos made with ffmpeg (Debian's, installed here and in CI), and ffprobe reads."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from tempfile import TemporaryDirectory

LOCATION = "+12.6667+108.0500/"  # ISO 6709, as phones write it: Buôn Ma Thuột


def video(
    container: str = "mp4",
    *,
    seconds: float = 2,
    size: str = "320x240",
    location: str | None = LOCATION,
    audio: bool = True,
) -> bytes:
    """A test-pattern clip with the tags a phone writes (place, make, model, creation time)."""
    codecs = {
        "mp4": ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
        "mov": ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
        "webm": ["-c:v", "libvpx", "-b:v", "200k", "-c:a", "libopus"],
    }[container]
    tags = ["-metadata", "make=Apple", "-metadata", "model=iPhone 15"]
    tags += ["-metadata", "creation_time=2026-11-20T08:15:00Z"]
    if location:
        tags += ["-metadata", f"location={location}"]
        tags += ["-metadata", f"com.apple.quicktime.location.ISO6709={location}"]
    with TemporaryDirectory() as folder:
        out = Path(folder) / f"clip.{container}"
        inputs = ["-f", "lavfi", "-i", f"testsrc=duration={seconds}:size={size}:rate=10"]
        if audio:
            inputs += ["-f", "lavfi", "-i", f"sine=duration={seconds}"]
        else:
            codecs = codecs[:-2]
        flags = ["-movflags", "use_metadata_tags"] if container in {"mp4", "mov"} else []
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-nostdin",
                *inputs,
                *codecs,
                *tags,
                *flags,
                "-shortest",
                str(out),
            ],
            check=True,
            timeout=60,
        )
        return out.read_bytes()


def probe(data: bytes, suffix: str = "mp4") -> dict:
    """ffprobe's view of `data`: format and streams, with their tags."""
    with TemporaryDirectory() as folder:
        path = Path(folder) / f"probe.{suffix}"
        path.write_bytes(data)
        done = subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    return json.loads(done.stdout)


def all_tags(info: dict) -> dict[str, str]:
    """Every tag of the container and of each stream, names lower-cased."""
    tags = {k.lower(): v for k, v in (info["format"].get("tags") or {}).items()}
    for stream in info["streams"]:
        tags.update({k.lower(): v for k, v in (stream.get("tags") or {}).items()})
    return tags
