"""How far a run over frames is, in words: the same line in the window's progress bar and on
``poseapp predict``'s stderr."""

from __future__ import annotations


def duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def rate_text(done: int, total: int | None, elapsed: float, unit: str = "frames") -> str:
    """'12/80 frames · 4.1 frames/s · 17 s left' (no rate before the first one is done); ``unit``
    names what is counted (models, for a comparison)."""
    count = f"{done}/{total} {unit}" if total else f"{done} {unit}"
    if done <= 0 or elapsed <= 0:
        return count
    rate = done / elapsed
    text = f"{count} · {rate:.1f} {unit}/s"
    if total and done < total:
        text += f" · {duration((total - done) / rate)} left"
    return text
