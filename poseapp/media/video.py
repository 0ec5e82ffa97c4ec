"""Video frames by index through OpenCV, with a small cache so stepping back and forth is instant."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from poseapp.core.errors import DataError


@dataclass(frozen=True)
class VideoInfo:
    frame_count: int
    fps: float
    width: int
    height: int


def probe_video(path: str | os.PathLike, verify: bool = True) -> VideoInfo:
    """Size, rate and frame count. The count a container claims is checked (``verify``) by
    decoding the last claimed frame, and when that fails, by bisection for the last decodable one:
    a truncated file is not imported as its full length, and a header claiming 2^31 frames costs
    some 31 seeks instead of exhausting memory."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise DataError(path, "video file not found")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise DataError(path, "not a readable video (OpenCV cannot open it)")
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = float(cap.get(cv2.CAP_PROP_FPS)) or 0.0
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        ok, frame = cap.read()
        if not ok or frame is None:
            raise DataError(path, "the video has no decodable frames")
        if count <= 0:  # some containers do not store a count: decode to the end once
            count = 1
            while cap.grab():
                count += 1
        elif verify:
            count = _decodable_count(cap, count)
        return VideoInfo(count, fps, width or frame.shape[1], height or frame.shape[0])
    finally:
        cap.release()


def _decodable_count(cap, claimed: int) -> int:
    """How many frames really decode, given that frame 0 does and the container claims ``claimed``."""
    if claimed <= 1 or _decodes(cap, claimed - 1):
        return claimed
    good, bad = 0, claimed - 1
    while bad - good > 1:
        mid = (good + bad) // 2
        if _decodes(cap, mid):
            good = mid
        else:
            bad = mid
    return good + 1


def _decodes(cap, index: int) -> bool:
    import cv2

    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = cap.read()
    return bool(ok) and frame is not None


class VideoReader:
    """Random access to frames; sequential reads avoid seeking, which is slow and inexact in many codecs."""

    def __init__(self, path: str | os.PathLike, cache_size: int = 64):
        import cv2

        self.path = Path(path)
        self.info = probe_video(self.path, verify=False)  # the project's frames were checked on import
        self._cap = cv2.VideoCapture(str(self.path))
        self._next_index = 0  # the index the capture will decode next
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.info.frame_count

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as H x W x 3 uint8 RGB."""
        import cv2

        if not 0 <= index < self.info.frame_count:
            raise DataError(self.path, f"frame {index} is outside 0..{self.info.frame_count - 1}")
        with self._lock:
            if index in self._cache:
                self._cache.move_to_end(index)
                return self._cache[index]
            # Decode forward from the current position for short hops; seek for long ones.
            if not (0 <= index - self._next_index <= 32):
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
                self._next_index = index
            frame = None
            while self._next_index <= index:
                ok, frame = self._cap.read()
                if not ok:
                    raise DataError(self.path, f"cannot decode frame {self._next_index}")
                self._next_index += 1
            rgb = np.ascontiguousarray(frame[:, :, ::-1])
            self._cache[index] = rgb
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return rgb

    def close(self) -> None:
        self._cap.release()


def video_frame_name(video: str | os.PathLike, index: int) -> str:
    """A video frame's one name in every file poseapp writes: ``<video stem>/<frame:06d>.jpg``,
    0-based, as frame extraction tools name the frame's image."""
    return f"{Path(video).stem}/{index:06d}.jpg"
