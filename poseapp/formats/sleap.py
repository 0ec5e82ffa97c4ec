"""SLEAP labels (``.slp``, ``.pkg.slp``), read and written through sleap-io (BSD-3, SLEAP's authors).

What comes in, and how it maps:

- user instances -> origin ``manual``; predicted instances -> origin ``predicted`` with the
  instance score, the point scores (``joint_scores``; a missing point's NaN score becomes 0) and
  model ``sleap``; a user instance made from a prediction keeps the link (``sleap_from_predicted``:
  the prediction's place among the frame's predictions), written back on export.
- tracks -> ``extra["track_id"]`` (the number the tracks' names end in, when each ends in a
  different one, so track "1" is #1; else the track's place in the file's track list) and
  ``extra["track_name"]``; a prediction's tracking score, when not 0, -> ``sleap_tracking_score``.
- a skeleton -> a custom poseapp skeleton ``custom:<name>:<K>``: node names, edges (SLEAP's
  order and direction) and symmetries as flip pairs, exactly (a SLEAP skeleton without symmetries
  gets none: SLEAP itself would not flip-augment it either). The name is the skeleton's own when a
  user gave it one; a name SLEAP made up ("Skeleton-0", or older SLEAP's "Skeleton-count(0)": its
  counter object printed instead of the counter's value) gives way to the file's ("dance skeleton"
  for dance.mp4.labels.slp), which an export writes, so a round trip keeps it. A preset's name with
  the preset's joints, limbs and flip pairs (a poseapp export of a COCO-17 project) is the preset.
- points: a point with a position that SLEAP marks visible -> COCO flag 2; a missing point (NaN)
  -> 0 at (0, 0). SLEAP has no "occluded" flag: a point a user marked not visible (``visible``
  False, position kept) is one SLEAP trains as missing (sleap-io's ``Instance.numpy()`` gives NaN,
  SLEAP's training leaves it out), so it imports as 0 (not labelled) too; its position is kept
  in the keypoints and its index in ``extra["sleap_hidden"]``, so an export writes it back where
  it was, still not visible. A COCO export writes it as 0, 0, 0: as SLEAP's reader sees it.
- videos: the path stored in the file when it exists, else the file of that name beside the
  ``.slp`` (SLEAP's own search); image-sequence videos come in as their image files. A video
  found nowhere is an error naming it, unless missing images are allowed (its frames come in
  without pixels, sized from the file's metadata, and File > Locate finds the video later).
- a ``.pkg.slp``'s embedded frames: their source video when it is on disk, else the frames are
  written as PNG files to a folder beside the project on import (``PROJECT-media/<file stem>/``).

Export writes what SLEAP opens: user instances (annotations, including the user's corrections)
as ``Instance``, predictions (always; ``--model`` keeps one model's) as ``PredictedInstance``,
tracks, skeletons with edges and symmetries, videos by path and image folders as image-sequence
videos (SLEAP's ImageVideo, one per folder and frame size, written as sleap-io writes one). A joint
flagged occluded (1) is written as a visible point (SLEAP has no such flag).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path, PureWindowsPath
from typing import Any

import numpy as np

from poseapp.core.errors import DataError
from poseapp.core.skeleton import PRESETS, Skeleton
from poseapp.formats.dataset import MAX_COORDINATE, ImportBatch, ImportedImage, ImportedInstance, Problems, box_around
from poseapp.formats.output import check_file_target, os_errors_as_data_errors
from poseapp.store import Project

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MODEL = "sleap"  # the model predictions from a SLEAP file are filed under
# an export's count of user joints flagged occluded that SLEAP can only write as visible (the window warns of it)
OCCLUDED_AS_VISIBLE = "occluded joints written as visible (SLEAP has no occluded flag)"
HIDDEN = "sleap_hidden"  # instance.extra: joints SLEAP marked not visible, their position kept
FROM_PREDICTED = "sleap_from_predicted"
TRACKING_SCORE = "sleap_tracking_score"


def detect(source: Path) -> bool:
    return source.is_file() and source.name.lower().endswith(".slp")


def _sleap_io():
    try:
        import sleap_io
    except ImportError as exc:  # a broken install: say what is missing rather than crash
        raise DataError(None, f"reading and writing SLEAP files needs the sleap-io package ({exc})") from None
    return sleap_io


def load_labels(path: Path):
    """sleap-io's Labels of ``path``, videos not opened; any failure is a DataError naming the file."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise DataError(path, f"cannot read the file: {exc.strerror}") from None
    if head != HDF5_SIGNATURE:
        raise DataError(path, "not a SLEAP file: a .slp file is HDF5, and this one does not start with HDF5's signature")
    sio = _sleap_io()
    try:
        return sio.load_slp(str(path), open_videos=False)
    except Exception as exc:  # h5py's OSError on a cut-off file, KeyError on a missing dataset, ...
        text = str(exc).strip() or type(exc).__name__
        hint = " (the file is cut off)" if "truncated" in text.lower() or "eof" in text.lower() else ""
        raise DataError(path, f"SLEAP's reader (sleap-io) cannot read it{hint}: {text}") from None


# The names SLEAP gives a skeleton nobody named: "Skeleton-0", "Skeleton-1", ... (its counter's
# next value); older SLEAP versions wrote the counter object itself, "Skeleton-count(0)"; sleap-io
# reads a file whose skeleton has no name as "Skeleton".
_AUTOMATIC_NAME = re.compile(r"\s*skeleton(-(\d+|count\(\d+\)))?\s*", re.IGNORECASE)
# what SLEAP and its users add to a labels file's name: "dance.mp4.labels.slp", "flies.pkg.slp"
_FILE_SUFFIXES = {"slp", "pkg", "labels", "predictions", "predicted", "mp4", "avi", "mov", "mkv", "h5", "hdf5"}


def is_automatic_name(name: str | None) -> bool:
    """Whether ``name`` is one SLEAP made up for a skeleton (or none at all), not one a user gave."""
    return not name or _AUTOMATIC_NAME.fullmatch(name) is not None


def file_label(path: Path) -> str:
    """A labels file's name without SLEAP's suffixes: "dance" for dance.mp4.labels.slp."""
    parts = Path(path).name.split(".")
    while len(parts) > 1 and parts[-1].lower() in _FILE_SUFFIXES:
        parts.pop()
    return ".".join(parts).strip() or "sleap"


def skeleton_names(skeletons: list[Any], path: Path) -> list[str]:
    """The name each of a file's skeletons comes in under: its own, when a user named it; else the
    file's ("dance skeleton"), numbered when several of the file's skeletons need one. A name
    poseapp wrote comes back as it was, so export and import again keep it."""
    automatic = [n for n, sk in enumerate(skeletons) if is_automatic_name(sk.name)]
    taken = {str(sk.name).strip() for n, sk in enumerate(skeletons) if n not in automatic}
    names = [str(sk.name).strip() for sk in skeletons]
    count = 0
    for n in automatic:
        while True:
            count += 1
            name = f"{file_label(path)} skeleton" + (f" {count}" if len(automatic) > 1 else "")
            if name not in taken:
                break
        names[n] = name
        taken.add(name)
    return names


def skeleton_of(sk: Any, name: str | None = None) -> Skeleton:
    """poseapp's skeleton of a SLEAP skeleton, named ``name`` (default: the SLEAP skeleton's name).
    A preset's name with the preset's joints, limbs and flip pairs (as poseapp exports a preset) is
    the preset itself."""
    nodes = tuple(sk.node_names)
    name = name or sk.name or "skeleton"
    edges = tuple((int(a), int(b)) for a, b in sk.edge_inds)
    flips = tuple((int(a), int(b)) for a, b in sk.symmetry_inds)
    preset = PRESETS.get(name)
    if preset is not None and (preset.joints, preset.edges, _pairs(preset.flip_pairs)) == (nodes, edges, _pairs(flips)):
        return preset
    return Skeleton(name=f"custom:{name}:{len(nodes)}", joints=nodes, edges=edges, flip_pairs=flips)


def _category_name(skeleton: Skeleton, name: str) -> str:
    return "person" if PRESETS.get(skeleton.name) == skeleton else name  # a preset is COCO's person, as COCO names it


def _pairs(pairs: tuple[tuple[int, int], ...]) -> set[frozenset[int]]:
    return {frozenset(p) for p in pairs}


def sleap_name(skeleton: Skeleton) -> str:
    parts = skeleton.name.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "custom" and parts[1] else skeleton.name


def _original_path(video: Any) -> str:
    meta = getattr(video, "backend_metadata", None) or {}
    name = meta.get("filename", video.filename)
    return name if isinstance(name, str) else str(name)


def track_ids(tracks: list[Any]) -> dict[int, int]:
    """id(track) -> poseapp's track id: the number a track's name ends in ("1", "track_3") when
    every track's name ends in a different one, so the window's #1 is SLEAP's track 1 (by place in
    the file's list, SLEAP's "1" was #0); else the track's place in the list."""
    numbers = [re.search(r"(\d+)$", str(t.name)) for t in tracks]
    if all(numbers) and len({int(m.group(1)) for m in numbers}) == len(tracks):
        return {id(t): int(m.group(1)) for t, m in zip(tracks, numbers)}
    return {id(t): n for n, t in enumerate(tracks)}


def _is_embedded(video: Any, path: Path) -> bool:
    meta = getattr(video, "backend_metadata", None) or {}
    return meta.get("filename") == "." or (isinstance(video.filename, str) and Path(video.filename) == path
                                            and bool(meta.get("dataset")))


def find_video(stored: str, slp: Path) -> Path | None:
    """The video a .slp names: at its stored path, else the file of that name beside the .slp."""
    candidates = [Path(stored)] if stored else []
    if not Path(stored).is_absolute():
        candidates.append(slp.parent / stored)
    base = PureWindowsPath(stored).name if "\\" in stored else Path(stored).name
    if base:
        candidates.append(slp.parent / base)
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    return None


def _points(inst: Any, k: int) -> tuple[np.ndarray, list[int]]:
    pts = inst.points
    xy = np.asarray(pts["xy"], dtype=np.float64).reshape(k, 2)
    visible = np.asarray(pts["visible"], dtype=bool).reshape(k)
    finite = np.all(np.isfinite(xy), axis=1)
    kps = np.zeros((k, 3))
    kps[finite, :2] = xy[finite]
    kps[finite & visible, 2] = 2
    hidden = [int(j) for j in np.flatnonzero(finite & ~visible)]
    return kps, hidden


class _Frames:
    """Where each (video, frame index) of the file lies for poseapp: a video frame or an image file."""

    def __init__(self, path: Path, labels: Any, options: Any, problems: Problems):
        self.path, self.options, self.problems = path, options, problems
        self.videos: dict[int, dict[str, Any]] = {}
        self.embedded: list[tuple[int, Any]] = []
        self.missing: list[str] = []
        image_files: list[Path] = []
        for v_idx, video in enumerate(labels.videos):
            self.videos[v_idx] = self._place(v_idx, video, image_files)
        roots = {p.parent for p in image_files}
        self.image_root = Path(os.path.commonpath([str(r) for r in roots])) if roots else path.parent.resolve()

    def _place(self, v_idx: int, video: Any, image_files: list[Path]) -> dict[str, Any]:
        if isinstance(video.filename, list):  # an image sequence
            files = [find_video(str(f), self.path) for f in video.filename]
            gone = [str(f) for f, found in zip(video.filename, files) if found is None]
            if gone and not self.options.allow_missing_images:
                self.problems.add(f"video {v_idx}: {len(gone)} of its {len(files)} image files are not there nor beside "
                                  f"the file, e.g. {gone[0]}")
                return {"kind": "missing"}
            placed = [f if f is not None else (self.path.parent / Path(g).name).resolve()
                      for f, g in zip(files, video.filename)]
            image_files.extend(placed)
            self.missing.extend(gone)
            return {"kind": "images", "files": placed}
        if _is_embedded(video, self.path):
            source = getattr(video, "source_video", None)
            found = find_video(_original_path(source), self.path) if source is not None and not isinstance(
                source.filename, list) else None
            if found is not None:
                return {"kind": "video", "path": found, "size": _video_size(found)}
            self.embedded.append((v_idx, video))
            return {"kind": "embedded", "video": video}
        stored = _original_path(video)
        found = find_video(stored, self.path)
        if found is not None:
            return {"kind": "video", "path": found, "size": _video_size(found)}
        shape = getattr(video, "shape", None) or (getattr(video, "backend_metadata", None) or {}).get("shape")
        expected = (self.path.parent / (PureWindowsPath(stored).name if "\\" in stored else Path(stored).name)).resolve()
        if not self.options.allow_missing_images:
            self.problems.add(f"video {stored!r} is not there nor beside the file ({expected}): put it beside the .slp, "
                              "or import with missing images allowed and locate it later")
            return {"kind": "missing"}
        if not shape:
            self.problems.add(f"video {stored!r} is not there nor beside the file ({expected}), and the file does not "
                              "say its frame size, so its frames cannot come in without it: put it beside the .slp")
            return {"kind": "missing"}
        self.missing.append(stored)
        return {"kind": "video", "path": expected, "size": (int(shape[2]), int(shape[1]))}

    def image(self, v_idx: int, frame_idx: int) -> ImportedImage | None:
        place = self.videos[v_idx]
        extra = {"sleap_video": v_idx, "sleap_frame": int(frame_idx)}
        if place["kind"] == "video":
            width, height = place["size"]
            return ImportedImage(f"{place['path'].stem}/{frame_idx:06d}.jpg", width, height, extra=extra,
                                 video=(str(place["path"]), int(frame_idx)))
        if place["kind"] == "images":
            files = place["files"]
            if not 0 <= frame_idx < len(files):
                self.problems.add(f"video {v_idx}: frame {frame_idx} is beyond its {len(files)} images")
                return None
            file = files[frame_idx]
            width, height = _image_size(file, self.problems)
            rel = Path(os.path.relpath(file, self.image_root)).as_posix()
            return ImportedImage(rel, width, height, extra=extra)
        if place["kind"] == "embedded":
            shape = place["video"].shape
            return ImportedImage(f"video{v_idx}/{frame_idx:06d}.png", int(shape[2]), int(shape[1]),
                                 extra=extra)
        return None


def _video_size(path: Path) -> tuple[int, int]:
    from poseapp.media.video import probe_video

    info = probe_video(path, verify=False)
    return info.width, info.height


def _image_size(path: Path, problems: Problems) -> tuple[int, int]:
    from poseapp.media.images import image_size

    if not path.is_file():
        return (1, 1)  # a missing image of a sequence: sized when located
    try:
        return image_size(path)
    except DataError as exc:
        problems.add(str(exc))
        return (1, 1)


def read_sleap(path: str | Path, options: Any) -> ImportBatch:
    path = Path(path)
    labels = load_labels(path)
    problems = Problems(path)
    if not labels.skeletons:
        raise DataError(path, "the file has no skeleton")
    skeletons: dict[int, Skeleton] = {}
    names = skeleton_names(list(labels.skeletons), path)
    for sk, name in zip(labels.skeletons, names):
        try:
            skeletons[id(sk)] = skeleton_of(sk, name)
        except ValueError as exc:
            raise DataError(path, f"skeleton {sk.name!r}: {exc}") from None
    category = {id(sk): n + 1 for n, sk in enumerate(labels.skeletons)}
    frames = _Frames(path, labels, options, problems)
    for _, video in frames.embedded:  # embedded frames: opened through sleap-io for their size and pixels
        try:
            video.open()
            if video.shape is None:
                raise ValueError("no frame size")
        except Exception as exc:
            raise DataError(path, f"its embedded frames cannot be read: {exc}") from None
    tracks = track_ids(labels.tracks)
    images: dict[tuple[int, int], ImportedImage] = {}
    videos = {id(v): n for n, v in enumerate(labels.videos)}
    for lf_no, lf in enumerate(labels.labeled_frames):
        v_idx = videos.get(id(lf.video))
        if v_idx is None:
            problems.add(f"labelled frame {lf_no}: its video is not in the file's video list")
            continue
        key = (v_idx, int(lf.frame_idx))
        image = images.get(key)
        if image is None:
            image = frames.image(v_idx, int(lf.frame_idx))
            if image is None:
                continue
            images[key] = image
        predicted = [inst for inst in lf.instances if _is_predicted(inst)]
        for i_no, inst in enumerate(lf.instances):
            _add_instance(image, inst, skeletons, category, tracks, predicted, f"frame {lf.frame_idx} of video {v_idx}, "
                          f"instance {i_no}", problems)
    problems.raise_if_any()
    notes = []
    if frames.missing:
        notes.append(f"{len(frames.missing)} video or image file(s) named by the file are not there; their frames came "
                     "in without pixels (File > Locate missing sources): " + ", ".join(frames.missing[:5]))
    n_embedded = sum(1 for (v, _) in images if frames.videos[v]["kind"] == "embedded")
    batch = ImportBatch(
        format="slp", annotation_file=path, image_root=frames.image_root, images=list(images.values()),
        categories=[(skeletons[id(sk)].to_coco_category(category[id(sk)], name=_category_name(skeletons[id(sk)], name)),
                     skeletons[id(sk)]) for sk, name in zip(labels.skeletons, names)],
        notes=notes,
    )
    if frames.embedded and n_embedded:
        if any(frames.videos[v]["kind"] == "images" for (v, _) in images):
            raise DataError(path, "frames embedded in the file and image-sequence videos in one file are not supported")
        batch.prepare = _extractor(path, batch, frames, images)
    return batch


def _is_predicted(inst: Any) -> bool:
    return type(inst).__name__ == "PredictedInstance"


def _add_instance(image: ImportedImage, inst: Any, skeletons: dict[int, Skeleton], category: dict[int, int],
                  tracks: dict[int, int], predicted: list[Any], where: str, problems: Problems) -> None:
    skeleton = skeletons.get(id(inst.skeleton))
    if skeleton is None:
        problems.add(f"{where}: its skeleton is not in the file's skeleton list")
        return
    kps, hidden = _points(inst, skeleton.num_joints)
    if np.any(np.abs(kps[:, :2]) > MAX_COORDINATE):
        problems.add(f"{where}: a point lies beyond {MAX_COORDINATE:g} pixels")
        return
    extra: dict[str, Any] = {}
    if inst.track is not None:
        if id(inst.track) not in tracks:
            problems.add(f"{where}: its track {inst.track.name!r} is not in the file's track list")
            return
        extra["track_id"] = tracks[id(inst.track)]
        extra["track_name"] = str(inst.track.name)
    if hidden:
        extra[HIDDEN] = hidden
    origin, score, joint_scores, model = "manual", None, None, None
    if _is_predicted(inst):
        origin, model = "predicted", MODEL
        score = float(inst.score) if inst.score is not None and np.isfinite(inst.score) else 0.0
        js = np.asarray(inst.points["score"], dtype=np.float64).reshape(-1)
        joint_scores = np.where(np.isfinite(js), js, 0.0)
        if inst.tracking_score:
            extra[TRACKING_SCORE] = float(inst.tracking_score)
    elif inst.from_predicted is not None:
        for n, other in enumerate(predicted):
            if other is inst.from_predicted:
                extra[FROM_PREDICTED] = n
    image.instances.append(ImportedInstance(
        keypoints=kps, skeleton=skeleton, bbox=box_around(kps, image.width, image.height),
        category_id=category[id(inst.skeleton)], extra=extra, origin=origin, score=score, joint_scores=joint_scores,
        model_id=model,
    ))


def _extractor(path: Path, batch: ImportBatch, frames: _Frames, images: dict[tuple[int, int], ImportedImage]):
    """Writes the embedded frames the batch uses into ``folder`` and points the batch there."""

    def prepare(folder: Path) -> None:
        from poseapp.media.images import write_image

        target = folder / path.name.split(".")[0]
        made = not target.exists()
        try:
            for (v_idx, frame_idx), image in images.items():
                if frames.videos[v_idx]["kind"] != "embedded":
                    continue
                out = target / image.file_name
                if out.is_file():
                    continue
                pixels = np.asarray(frames.videos[v_idx]["video"][frame_idx])
                if pixels.ndim == 3 and pixels.shape[2] == 1:
                    pixels = np.repeat(pixels, 3, axis=2)
                out.parent.mkdir(parents=True, exist_ok=True)
                write_image(out, pixels)
        except Exception as exc:
            if made:
                shutil.rmtree(target, ignore_errors=True)
            raise DataError(path, f"its embedded frames cannot be written to {target}: {exc}") from None
        batch.image_root = target

    return prepare


def read(source: Path, options: Any) -> ImportBatch:
    return read_sleap(source, options)


# ---------------------------------------------------------------------------------------- export
def export_slp(project: Project, out: str | Path, model: str | None = None) -> dict[str, int]:
    """A .slp of every annotation and prediction (one model's, when ``model`` is given)."""
    from poseapp.formats.coco_results import check_prediction_model

    check_prediction_model(project, model)
    sio = _sleap_io()
    target = check_file_target(out, project.path)
    sk_cache: dict[str, Any] = {}
    videos: dict[Any, Any] = {}  # a video source's id, or (folder source id, height, width) -> sleap-io Video
    video_index: dict[int, dict[int, tuple[Any, int]]] = {}  # folder source id: frame id -> (its video, image index)
    tracks: dict[Any, Any] = {}  # track_key -> sleap-io Track
    track_names: dict[Any, str] = {}
    track_order: dict[Any, int] = {}
    rows = []
    counts = {"frames": 0, "user instances": 0, "predicted instances": 0}
    occluded = 0  # user joints flagged occluded (1): SLEAP writes a point visible or missing, no third way
    for frame_id in project.frame_ids():
        people = [i for i in project.instances(frame_id) if i.origin == "manual" or model is None or i.model_id == model]
        if not people:
            continue
        rows.append((project.frame(frame_id), people))
        source_id = rows[-1][0].source_id
        for inst in people:
            key = track_key(inst, source_id)
            if key is not None:
                track_names.setdefault(key, str(inst.extra.get("track_name", inst.extra["track_id"])))
                track_order.setdefault(key, inst.extra["track_id"])
    taken: set[str] = set()
    # in the order of the ids (a SLEAP file's track list comes back in its order), then by key
    for key in sorted(track_names, key=lambda k: (track_order[k], str(k))):
        name = track_names[key]
        if name in taken:  # poseapp's ids are a video's own: #1 of two videos are two walkers, two tracks
            name = f"{name} ({Path(project.source(key[0]).path).stem})"
        taken.add(name)
        tracks[key] = sio.Track(name=name)
    if not rows:
        raise DataError(project.path, "nobody to export: the project has no annotations or predictions")

    def skeleton(name: str) -> Any:
        if name not in sk_cache:
            sk = project.skeleton(name)
            sk_cache[name] = sio.Skeleton(
                nodes=list(sk.joints), edges=[(int(a), int(b)) for a, b in sk.edges],
                symmetries=[(sk.joints[a], sk.joints[b]) for a, b in sk.flip_pairs], name=sleap_name(sk),
            )
        return sk_cache[name]

    def video_of(frame: Any) -> tuple[Any, int]:
        source = project.source(frame.source_id)
        if source.kind == "video":
            if source.id not in videos:
                videos[source.id] = sio.Video(filename=source.path, open_backend=False)
            return videos[source.id], frame.index
        if source.id not in video_index:
            # SLEAP's image-sequence video: one per folder and frame size (as sleap-io reads a COCO
            # file), of the folder's frames in their order, those without people too
            frames = sorted((project.frame(f) for f in project.frame_ids() if project.frame(f).source_id == source.id),
                            key=lambda f: f.index)
            by_size: dict[tuple[int, int], list[Any]] = {}
            for f in frames:
                by_size.setdefault((int(f.height), int(f.width)), []).append(f)
            video_index[source.id] = {}
            for (height, width), group in by_size.items():
                video = image_video(sio, [project.frame_path(f) for f in group], height, width)
                videos[(source.id, height, width)] = video
                video_index[source.id].update({f.id: (video, n) for n, f in enumerate(group)})
        return video_index[source.id][frame.id]

    labeled_frames = []
    for frame, people in rows:
        video, frame_idx = video_of(frame)
        made: dict[int, Any] = {}
        predicted = []
        for n, inst in enumerate(people):  # predictions first: a user instance may point at one
            if inst.origin != "predicted":
                continue
            xy, hidden = _xy(inst)
            scores = inst.joint_scores if inst.joint_scores is not None else np.where(inst.keypoints[:, 2] > 0, 1.0, 0.0)
            made[n] = sio.PredictedInstance.from_numpy(
                points_data=xy, skeleton=skeleton(inst.skeleton), point_scores=np.asarray(scores, dtype=np.float64),
                score=float(inst.score) if inst.score is not None else 0.0, track=_track(inst, tracks, frame.source_id),
                tracking_score=float(inst.extra.get(TRACKING_SCORE, 0.0)),
            )
            _hide(made[n], hidden)
            predicted.append(made[n])
        for n, inst in enumerate(people):
            if inst.origin == "predicted":
                continue
            xy, hidden = _xy(inst)
            link = inst.extra.get(FROM_PREDICTED)
            made[n] = sio.Instance.from_numpy(
                points_data=xy, skeleton=skeleton(inst.skeleton), track=_track(inst, tracks, frame.source_id),
                from_predicted=predicted[link] if isinstance(link, int) and 0 <= link < len(predicted) else None,
            )
            _hide(made[n], hidden)
        counts["user instances"] += len(made) - len(predicted)
        counts["predicted instances"] += len(predicted)
        occluded += sum(int((inst.keypoints[:, 2] == 1).sum()) for inst in people if inst.origin != "predicted")
        # the frame's people in the store's order, which is the order they were read in
        labeled_frames.append(sio.LabeledFrame(video=video, frame_idx=int(frame_idx),
                                               instances=[made[n] for n in range(len(people))]))
        counts["frames"] += 1
    if occluded:  # said, not lost silently: a re-import reads them visible
        counts[OCCLUDED_AS_VISIBLE] = occluded
    labels = sio.Labels(labeled_frames=labeled_frames, videos=list(videos.values()),
                        skeletons=list(sk_cache.values()), tracks=list(tracks.values()))
    _write(labels, target)
    return counts


def image_video(sio: Any, files: list[str], height: int, width: int) -> Any:
    """A SLEAP image-sequence video of ``files`` (``height`` x ``width`` colour images), not opened.

    sleap-io writes a video's ``backend_metadata`` as it is when its backend is not open, and reads
    an ImageVideo back from the ``filenames`` list in it; a Video made of a list with no such
    metadata is written with that list as its ``filename``, which neither sleap-io (it takes the
    filename for one path) nor SLEAP reads. So the metadata is the one sleap-io writes for an open
    ImageVideo (``sleap_io.io.slp.video_to_dict``; SLEAP's ImageVideo attributes ``filename``,
    ``filenames``, ``height_``, ``width_``, ``channels_``, ``grayscale``), sized from the project's
    frames rather than by decoding an image.
    """
    names = [Path(f).as_posix() for f in files]
    meta = {
        "type": "ImageVideo", "shape": [len(names), int(height), int(width), 3], "filename": names[0],
        "filenames": names, "height_": int(height), "width_": int(width), "channels_": 3, "grayscale": False,
        "fps": None,
    }
    return sio.Video(filename=names, backend_metadata=meta, open_backend=False)


def _xy(inst: Any) -> tuple[np.ndarray, list[int]]:
    kps = inst.keypoints
    hidden = [j for j in inst.extra.get(HIDDEN, []) if isinstance(j, int) and 0 <= j < len(kps) and kps[j, 2] == 0]
    xy = np.full((len(kps), 2), np.nan)
    keep = kps[:, 2] > 0
    keep[hidden] = True
    xy[keep] = kps[keep, :2]
    return xy, hidden


def _hide(sleap_instance: Any, hidden: list[int]) -> None:
    for j in hidden:
        sleap_instance.points["visible"][j] = False


def track_key(inst: Any, source_id: int) -> Any:
    """Which SLEAP track a person belongs to on export: a track that came from a SLEAP file by its
    name (SLEAP's tracks span the file's videos), else the video's own id, (source id, track id);
    None for a person with no track."""
    tid = inst.extra.get("track_id")
    if not isinstance(tid, int) or isinstance(tid, bool):
        return None
    name = inst.extra.get("track_name")
    return ("sleap", str(name)) if name is not None else (source_id, tid)


def _track(inst: Any, tracks: dict[Any, Any], source_id: int) -> Any:
    key = track_key(inst, source_id)
    return tracks.get(key) if key is not None else None


def _write(labels: Any, target: Path) -> None:
    """Through a temporary file beside ``target`` (named as poseapp's other exports name theirs, so
    a killed run's leftover is removed by the next write) that replaces it only once complete."""
    import tempfile

    from poseapp.core.atomic import _temp_prefix, remove_stale_temps

    sio = _sleap_io()
    with os_errors_as_data_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(target)
        fd, name = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            sio.save_slp(labels, str(tmp), verbose=False)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def export(project: Project, out: Path, options: Any) -> dict[str, int]:
    return export_slp(project, out, model=options.model)
