"""A minimal signal/slot mechanism so the data model can notify views without knowing about Qt.

The project's signals are typed: each carries one payload dataclass (``InstanceChanged(old,
new)``, ``FrameStateChanged(frame_id, state)`` ...), so a view subscribes to the events it
shows and reads named fields instead of dispatching on event-name strings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstanceAdded:
    instance: Any  # store.Instance (not imported: the data model imports this module)

    @property
    def frame_id(self) -> int:
        return self.instance.frame_id


@dataclass(frozen=True)
class InstanceChanged:
    old: Any
    new: Any

    @property
    def frame_id(self) -> int:
        return self.new.frame_id


@dataclass(frozen=True)
class InstanceRemoved:
    instance: Any

    @property
    def frame_id(self) -> int:
        return self.instance.frame_id


@dataclass(frozen=True)
class FrameStateChanged:
    frame_id: int
    state: str


@dataclass(frozen=True)
class SourcesChanged:
    """Sources or frames were added, moved or removed."""


@dataclass(frozen=True)
class Imported:
    summary: Any


PAYLOADS: dict[str, type] = {
    "instance_added": InstanceAdded, "instance_changed": InstanceChanged, "instance_removed": InstanceRemoved,
    "frame_state_changed": FrameStateChanged, "sources_changed": SourcesChanged, "imported": Imported,
}


class Signal:
    """A list of callbacks; ``emit`` calls each in connection order. A typed signal wraps the
    emitted values in its ``payload`` dataclass and passes that one object."""

    def __init__(self, name: str = "", payload: type | None = None):
        self.name = name
        self.payload = payload
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any, **kwargs: Any) -> None:
        if self.payload is not None and not (len(args) == 1 and isinstance(args[0], self.payload)):
            args, kwargs = (self.payload(*args, **kwargs),), {}
        # A failing view must not undo an edit that is already committed to disk.
        for callback in list(self._callbacks):
            try:
                callback(*args, **kwargs)
            except Exception:  # noqa: BLE001
                log.exception("listener %r of %s failed", callback, self.name)


class EventGroup:
    """Named signals, e.g. ``project.events.instance_changed.connect(view.refresh)``; the
    project's event names carry their payload dataclass (PAYLOADS)."""

    def __init__(self, *names: str):
        for name in names:
            setattr(self, name, Signal(name, PAYLOADS.get(name)))
