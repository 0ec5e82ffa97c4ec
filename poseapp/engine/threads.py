"""How many threads torch may use for inference: as many cores as other programs leave idle.

torch's OpenMP pool assumes every core is ours. When another program keeps one of two cores busy
(a fine-tune beside the window, a browser), a two-thread forward pass waits at every barrier for
the thread that lost its core, and inference becomes 2-4x slower than with one thread. So before
each forward pass the predictor asks how busy the machine was since it last asked (the kernel's
CPU counters minus this process's own use), and sets the pool to the cores left over.
Background work (training started from the window) instead runs with one thread at low priority.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import torch

_MIN_WINDOW_S = 0.05  # shorter windows say little about the load
_RECHECK_S = 0.25  # between checks the last decision stands


def _read_cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies over all cores since boot, or None where /proc/stat is missing."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


def _own_ticks() -> int:
    times = os.times()
    return round((times.user + times.system) * os.sysconf("SC_CLK_TCK"))


@dataclass
class _Sample:
    at: float
    busy: int
    total: int
    own: int


class CorePolicy:
    """``threads()`` -> how many threads to use now; ``apply()`` sets torch's pool to it."""

    def __init__(self, cores: int | None = None, fixed: int | None = None):
        if cores is None:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self.cores = cores
        env = os.environ.get("POSEAPP_THREADS")
        self.fixed = fixed if fixed is not None else (int(env) if env and env.isdigit() and int(env) > 0 else None)
        self._last: _Sample | None = None
        self._decision = self.cores
        self._decided_at = 0.0

    def _sample(self) -> _Sample | None:
        ticks = _read_cpu_ticks()
        if ticks is None:
            return None
        return _Sample(time.monotonic(), ticks[0], ticks[1], _own_ticks())

    def others_busy_cores(self) -> float | None:
        """How many cores other programs kept busy since the previous call (None: unknown)."""
        now = self._sample()
        if now is None:
            return None
        if self._last is None or now.at - self._last.at < _MIN_WINDOW_S:
            if self._last is None:
                self._last = now
            time.sleep(_MIN_WINDOW_S)
            now = self._sample()
        before, self._last = self._last, now
        total = now.total - before.total
        if total <= 0:
            return None
        ncpu = os.cpu_count() or 1  # /proc/stat counts every core of the machine
        busy_share = (now.busy - before.busy - (now.own - before.own)) / total
        return max(0.0, busy_share * ncpu)

    def threads(self) -> int:
        if self.fixed is not None:
            return self.fixed
        if time.monotonic() - self._decided_at < _RECHECK_S:
            return self._decision
        others = self.others_busy_cores()
        if others is not None:
            # A core counts as taken when others used more than a third of it.
            self._decision = max(1, min(self.cores, int(self.cores - others + 0.67)))
        self._decided_at = time.monotonic()
        return self._decision

    def apply(self) -> int:
        n = self.threads()
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)
        return n


def run_in_background() -> None:
    """For training started beside the window: one thread, lowest priority, so the window's own
    model runs keep their core."""
    torch.set_num_threads(1)
    try:
        os.nice(19 - os.nice(0))
    except (AttributeError, OSError):
        pass
