"""A minimal signal/slot mechanism so the data model can notify views without knowing about Qt."""

from __future__ import annotations

import logging
from typing import Any, Callable

log = logging.getLogger(__name__)


class Signal:
    """A list of callbacks; ``emit`` calls each in connection order."""

    def __init__(self, name: str = ""):
        self.name = name
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any, **kwargs: Any) -> None:
        # A failing view must not undo an edit that is already committed to disk.
        for callback in list(self._callbacks):
            try:
                callback(*args, **kwargs)
            except Exception:  # noqa: BLE001
                log.exception("listener %r of %s failed", callback, self.name)


class EventGroup:
    """Named signals, e.g. ``project.events.instance_changed.connect(view.refresh)``."""

    def __init__(self, *names: str):
        for name in names:
            setattr(self, name, Signal(name))
