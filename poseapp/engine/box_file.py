"""Person boxes from a file: COCO detection results, as MMPose's top-down demo and every COCO
detector write them (``[{"image_id" or "file_name", "bbox": [x, y, w, h], "score"}, ...]``), so a
user with a better detector elsewhere uses its boxes (`poseapp predict --boxes FILE.json`).

A record names its picture by ``file_name`` (an image's name, or a video frame's
``<stem>/<frame:06d>.jpg`` as poseapp names it; ``video`` and ``frame`` keys too), or by
``image_id``: a picture's COCO image id (``picture_id``): the id it had in the COCO file it came
from, else the number its COCO-style name carries (000000000790.jpg is 790), else its place among
the run's pictures from 1 (a video frame: its index + 1). Records of one picture by name and by id
all count. The records that named no picture of a run are kept (``unmatched``), so a run can say
which boxes it did not use instead of dropping them without a word."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from poseapp.core.errors import DataError
from poseapp.engine.detector import Box, non_max_suppression

DEFAULT_MIN_SCORE = 0.3  # detections below this are not people (MMPose's demo uses 0.3 too)


class BoxFile:
    """The boxes of one detections file, looked up per picture."""

    def __init__(self, path: str | Path, min_score: float = DEFAULT_MIN_SCORE, min_height: float = 0.0):
        self.path = Path(path)
        self.min_score, self.min_height = min_score, min_height
        self.by_name: dict[str, list[tuple[Box, float]]] = {}
        self.by_id: dict[int, list[tuple[Box, float]]] = {}
        self._bare: dict[str, str] | None = None  # by bare file name, made when first needed
        self._used_names: set[str] = set()  # by_name / by_id keys a picture of the run matched
        self._used_ids: set[int] = set()
        records = self._records()
        self.detections = len(records)
        for n, record in enumerate(records):
            box, score = self._box(record, n)
            name = record.get("file_name")
            if isinstance(name, str) and name:
                self.by_name.setdefault(_key(name), []).append((box, score))
            elif isinstance(record.get("image_id"), int) and not isinstance(record.get("image_id"), bool):
                self.by_id.setdefault(record["image_id"], []).append((box, score))
            else:
                raise DataError(self.path, f"[{n}] names no picture: give it a 'file_name' or an integer 'image_id'")

    def _records(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(self.path, "box file not found") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(self.path, f"not a JSON detections file ({exc})") from None
        if isinstance(data, dict) and isinstance(data.get("annotations"), list):
            data = data["annotations"]  # a COCO file's annotations carry boxes too
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise DataError(self.path, "not a list of detections ({'image_id' or 'file_name', 'bbox', 'score'})")
        return data

    def _box(self, record: dict[str, Any], n: int) -> tuple[Box, float]:
        bbox, score = record.get("bbox"), record.get("score", 1.0)
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)):
            raise DataError(self.path, f"[{n}]: 'bbox' must be 4 numbers x, y, w, h, not {bbox!r}")
        if bbox[2] <= 0 or bbox[3] <= 0:
            raise DataError(self.path, f"[{n}]: 'bbox' has no area ({bbox!r})")
        if not isinstance(score, (int, float)) or isinstance(score, bool):
            raise DataError(self.path, f"[{n}]: 'score' must be a number, not {score!r}")
        return tuple(float(v) for v in bbox), float(score)  # type: ignore[return-value]

    def boxes(self, name: str, image_id: int) -> list[tuple[Box, float]]:
        """The picture's people, best first: boxes at least ``min_score`` and ``min_height``, one per person."""
        found = self._records_of(name, image_id) or []
        kept = [(b, s) for b, s in found if s >= self.min_score and b[3] >= self.min_height]
        return non_max_suppression(kept, 0.7)

    def names(self, name: str, image_id: int) -> bool:
        """Whether the file says anything about this picture (a picture it names with no detection
        above the threshold has nobody on it; one it does not name was not run through the detector)."""
        return self._records_of(name, image_id) is not None

    @property
    def pictures(self) -> int:
        return len(self.by_name) + len(self.by_id)

    def unmatched(self, limit: int = 3) -> tuple[int, list[str]]:
        """(How many of the file's pictures no picture looked up so far matched, up to ``limit``
        of them as the file names them)."""
        left = [f"'{n}'" for n in self.by_name if n not in self._used_names]
        left += [f"image_id {i}" for i in self.by_id if i not in self._used_ids]
        return len(left), left[:limit]

    def _records_of(self, name: str, image_id: int) -> list[tuple[Box, float]] | None:
        key = _key(name)
        if key not in self.by_name:
            # one side names the picture in a folder, the other bare ('images/000000397133.jpg' and
            # '000000397133.jpg'); two folders that differ are two pictures (two videos' frame 12)
            parts = PurePosixPath(name.replace("\\", "/")).parts or ("",)
            bare = parts[-1]
            key = bare if len(parts) > 1 else self._bare_key().get(bare, bare)
        by_name, by_id = self.by_name.get(key), self.by_id.get(image_id)
        if by_name is not None:
            self._used_names.add(key)
        if by_id is not None:
            self._used_ids.add(image_id)
        if by_name is None and by_id is None:
            return None
        return (by_name or []) + (by_id or [])

    def _bare_key(self) -> dict[str, str]:
        """Bare file name -> the by_name key, where that name is one picture's only (two videos'
        frames share '000012.jpg': those are matched by their folder alone)."""
        if self._bare is None:
            groups: dict[str, list[str]] = {}
            for key in self.by_name:
                groups.setdefault(PurePosixPath(key).name, []).append(key)
            self._bare = {bare: keys[0] for bare, keys in groups.items() if len(keys) == 1}
        return self._bare


def picture_id(name: str, position: int, coco_id: int | None = None) -> int:
    """A picture's COCO image id as box files name it: ``coco_id`` (the id it had in an imported
    COCO file), else the number a COCO-style name carries ('000000000790.jpg' -> 790), else
    ``position`` (its place among the run's pictures from 1)."""
    if coco_id is not None:
        return int(coco_id)
    stem = PurePosixPath(name.replace("\\", "/")).stem
    return int(stem) if stem.isdigit() else position


def _key(name: str) -> str:
    """A picture's name to match by: the file's name, with a video frame's folder (its video's stem)."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 and parts[-1][:-4].isdigit() else parts[-1]
