"""Pixels for a project frame, whatever its source: one decoded-image cache for the whole app."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from poseapp.media.images import read_image
from poseapp.media.video import VideoReader
from poseapp.store import Frame, Project


class FrameLoader:
    """``loader.read(frame)`` -> H x W x 3 uint8 RGB; keeps recent images and one reader per video."""

    def __init__(self, project: Project, cache_size: int = 32):
        self.project = project
        self._images: OrderedDict[int, np.ndarray] = OrderedDict()
        self._videos: dict[int, VideoReader] = {}
        self._cache_size = cache_size

    def read(self, frame: Frame) -> np.ndarray:
        source = self.project.source(frame.source_id)
        if source.kind == "video":
            reader = self._videos.get(source.id)
            if reader is None:
                reader = self._videos[source.id] = VideoReader(source.path)
            return reader.read(frame.index)
        if frame.id in self._images:
            self._images.move_to_end(frame.id)
            return self._images[frame.id]
        image = read_image(self.project.frame_path(frame))
        self._images[frame.id] = image
        if len(self._images) > self._cache_size:
            self._images.popitem(last=False)
        return image

    def close(self) -> None:
        for reader in self._videos.values():
            reader.close()
        self._videos.clear()
        self._images.clear()
