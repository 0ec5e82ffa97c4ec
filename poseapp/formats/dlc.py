"""DeepLabCut projects: ``config.yaml`` with ``labeled-data/<video>/CollectedData_<scorer>.csv`` or ``.h5``.

Import takes a project folder, its ``config.yaml`` (any DeepLabCut config: a YAML with ``Task``
and ``bodyparts``) or one ``CollectedData`` CSV or H5 (the config is looked for in the project
folder above ``labeled-data``). Both of DeepLabCut's table layouts are read: single-animal
(``scorer / bodyparts / coords`` header rows) and multi-animal (``scorer / individuals /
bodyparts / coords``), with the image either one path column (older files) or three
(``labeled-data, <video>, <image>``). When a project has both files of a folder, the H5 is read
(it is what DeepLabCut trains on).

- A labelled point -> COCO flag 2; an empty cell (NaN) -> 0 at (0, 0). DeepLabCut has no
  occluded flag; an exported flag-1 joint is written as a labelled point.
- Single-animal: one instance per image with a labelled point. Multi-animal: one instance per
  individual with a labelled point, ``track_id`` its place in the file's individuals and
  ``track_name`` its name; unique body parts (the individual ``single``) are an instance of
  their own skeleton (``custom:<Task> unique:<K>``), marked ``dlc_individual: single``.
- Skeletons are ``custom:<Task>:<K>`` (the config's Task, else ``dlc``) with the config's
  ``skeleton`` edges among their body parts; flip pairs from left/right in the names.
- Each image keeps what an export needs to write the table back as it was (``dlc_scorer``,
  ``dlc_individuals``, ``dlc_index``), so an image with no labelled point stays an empty row.

Export writes a DeepLabCut project folder: ``config.yaml`` (body parts, individuals, unique
body parts, skeleton, ``video_sets``) and ``labeled-data/<video>/`` with the images (copied, or
hard-linked with ``--link-images``; video frames written as ``img<index>.png``) and
``CollectedData_<scorer>.csv`` + ``.h5`` in DeepLabCut's layout (H5 key ``df_with_missing``,
as DeepLabCut's labelling GUI writes it). Annotations only, unless predictions are included.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np

from poseapp.core.errors import DataError
from poseapp.core.skeleton import Skeleton, infer_flip_pairs
from poseapp.formats.dataset import MAX_COORDINATE, ImportBatch, ImportedImage, ImportedInstance, Problems, box_around
from poseapp.formats.output import export_folder
from poseapp.store import Project

HEADER_LEVELS = ("scorer", "individuals", "bodyparts", "coords")
SINGLE = "single"  # DeepLabCut's individual holding the unique body parts
INDIVIDUAL = "dlc_individual"


def _looks_like_config(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    return b"bodyparts" in head and (b"Task:" in head or b"scorer:" in head)


def detect(source: Path) -> bool:
    if source.is_dir():
        return (source / "labeled-data").is_dir() and any(_looks_like_config(p) for p in source.glob("*.yaml"))
    if not source.is_file():
        return False
    name = source.name.lower()
    if name.endswith((".yaml", ".yml")):
        return _looks_like_config(source)
    if name.endswith(".csv"):
        try:
            with open(source, "rb") as handle:
                return handle.read(7) == b"scorer,"
        except OSError:
            return False
    return name.endswith(".h5") and name.startswith("collecteddata_")


@dataclass
class Table:
    """One CollectedData file: its columns (individual or None, body part, coordinate) and rows."""

    file: Path
    scorer: str
    columns: list[tuple[str | None, str, str]]
    rows: list[tuple[tuple[str, ...], np.ndarray]] = field(default_factory=list)
    index_style: str = "parts"  # "parts": labeled-data, video, image in three columns; "path": one column

    @property
    def multi(self) -> bool:
        return self.columns[0][0] is not None


def _read_csv(path: Path) -> Table:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(path, f"cannot read it as CSV: {exc}") from None
    if not lines or not lines[0] or lines[0][0] != "scorer":
        first = lines[0][0] if lines and lines[0] else ""
        raise DataError(path, f"not a DeepLabCut CollectedData table: its first row starts with {first!r}, not 'scorer'")
    n_index = 1
    while n_index < len(lines[0]) and lines[0][n_index] == "":
        n_index += 1
    header = []
    for line in lines:
        if not line or line[0] not in HEADER_LEVELS:
            break
        header.append(line)
    levels = tuple(line[0] for line in header)
    if levels not in (("scorer", "bodyparts", "coords"), ("scorer", "individuals", "bodyparts", "coords")):
        raise DataError(path, f"wrong header: DeepLabCut's header rows are scorer, (individuals,) bodyparts, coords; "
                              f"this file has {', '.join(levels) or 'none'}")
    width = max(len(line) for line in header)
    # A scorer row shorter than the others (some hand-made files) names the same one scorer throughout.
    header[0] = header[0] + [header[0][-1]] * (width - len(header[0]))
    if any(len(line) != width for line in header) or width <= n_index:
        raise DataError(path, "wrong header: its header rows differ in length or name no columns")
    by = {name: line[n_index:] for name, line in zip(levels, header)}
    columns = [(by["individuals"][c] if "individuals" in by else None, by["bodyparts"][c], by["coords"][c])
               for c in range(width - n_index)]
    scorers = set(by["scorer"])
    table = Table(path, by["scorer"][0], columns, index_style="parts" if n_index == 3 else "path")
    _check_columns(table, scorers)
    problems = Problems(path)
    for n, line in enumerate(lines[len(header):], start=len(header) + 1):
        if not line or all(cell == "" for cell in line):
            continue
        if len(line) > width:
            problems.add(f"row {n}: {len(line)} cells where the header has {width}")
            continue
        line = line + [""] * (width - len(line))  # trailing empty cells left out: not labelled (as pandas reads it)
        values = np.full(len(columns), np.nan)
        for c, cell in enumerate(line[n_index:]):
            if cell.strip() == "":
                continue
            try:
                values[c] = float(cell)
            except ValueError:
                problems.add(f"row {n}: {columns[c][1]} {columns[c][2]} is {cell!r}, not a number")
        table.rows.append((tuple(line[:n_index]), values))
    problems.raise_if_any()
    return table


def _read_h5(path: Path) -> Table:
    try:
        import pandas as pd

        df = pd.read_hdf(path)
    except ImportError as exc:
        raise DataError(path, f"reading DeepLabCut's H5 files needs pandas and PyTables ({exc})") from None
    except Exception as exc:  # PyTables' HDF5ExtError on a cut-off file, ValueError on several keys, ...
        raise DataError(path, f"cannot read it as a DeepLabCut H5 table: {str(exc).strip() or type(exc).__name__}") from None
    names = tuple(df.columns.names)
    if names not in (("scorer", "bodyparts", "coords"), ("scorer", "individuals", "bodyparts", "coords")):
        raise DataError(path, f"wrong header: DeepLabCut's column levels are scorer, (individuals,) bodyparts, coords; "
                              f"this table has {', '.join(str(n) for n in names)}")
    cols = [dict(zip(names, c)) for c in df.columns]
    columns = [(c.get("individuals"), str(c["bodyparts"]), str(c["coords"])) for c in cols]
    table = Table(path, str(cols[0]["scorer"]), columns,
                  index_style="parts" if getattr(df.index, "nlevels", 1) == 3 else "path")
    _check_columns(table, {str(c["scorer"]) for c in cols})
    values = df.to_numpy(dtype=np.float64)
    for idx, row in zip(df.index, values):
        table.rows.append((tuple(str(p) for p in idx) if isinstance(idx, tuple) else (str(idx),), row.copy()))
    return table


def _check_columns(table: Table, scorers: set[str]) -> None:
    if len(scorers) != 1:
        raise DataError(table.file, f"wrong header: one scorer expected, found {', '.join(sorted(scorers))}")
    coords = [c[2] for c in table.columns]
    if "likelihood" in coords:
        raise DataError(table.file, "it has likelihood columns: a DeepLabCut predictions file, not labelled data "
                                    "(CollectedData)")
    if coords[0::2] != ["x"] * (len(coords) // 2 + len(coords) % 2) or coords[1::2] != ["y"] * (len(coords) // 2):
        raise DataError(table.file, "wrong header: the coords row must alternate x, y")
    pairs = list(zip(table.columns[0::2], table.columns[1::2]))
    if any(a[:2] != b[:2] for a, b in pairs):
        raise DataError(table.file, "wrong header: an x column and the y column after it name different body parts")
    seen = [a[:2] for a, _ in pairs]
    if len(set(seen)) != len(seen):
        raise DataError(table.file, "wrong header: a body part appears twice")
    if any(c[0] is None for c in table.columns) != all(c[0] is None for c in table.columns):
        raise DataError(table.file, "wrong header: individuals missing for some columns")


def read_table(path: Path) -> Table:
    return _read_h5(path) if path.suffix.lower() == ".h5" else _read_csv(path)


# --------------------------------------------------------------------------------------- import
def _config(path: Path) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            cfg = yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataError(path, f"cannot read the DeepLabCut config: {exc}") from None
    if not isinstance(cfg, dict) or "bodyparts" not in cfg:
        raise DataError(path, "not a DeepLabCut config: it has no bodyparts")
    return cfg


def _project_root(table_file: Path) -> Path:
    parts = table_file.resolve().parts
    if "labeled-data" in parts:
        i = len(parts) - 1 - parts[::-1].index("labeled-data")
        return Path(*parts[:i])
    return table_file.resolve().parent


def _find_config(root: Path) -> Path | None:
    if (root / "config.yaml").is_file() and _looks_like_config(root / "config.yaml"):
        return root / "config.yaml"
    found = sorted(p for p in root.glob("*.yaml") if _looks_like_config(p))
    return found[0] if found else None


def _tables_of_project(root: Path, cfg: dict[str, Any], config_path: Path) -> list[Path]:
    scorer = str(cfg.get("scorer", ""))
    files = []
    for folder in sorted(p for p in (root / "labeled-data").iterdir() if p.is_dir()) if (root / "labeled-data").is_dir() else []:
        for name in (f"CollectedData_{scorer}.h5", f"CollectedData_{scorer}.csv"):
            if (folder / name).is_file():
                files.append(folder / name)
                break
        else:
            others = sorted(folder.glob("CollectedData_*.h5")) or sorted(folder.glob("CollectedData_*.csv"))
            files.extend(others[:1])
    if not files:
        raise DataError(config_path, f"no labeled-data/<video>/CollectedData_*.csv or .h5 under {root}")
    return files


def _image_rel(index: tuple[str, ...], table: Table, root: Path) -> str:
    if len(index) == 1:
        text = index[0]
        posix = PureWindowsPath(text).as_posix() if "\\" in text else text
        parts = PurePosixPath(posix).parts
    else:
        parts = tuple(index)
    if "labeled-data" in parts:
        parts = parts[parts.index("labeled-data"):]
        return "/".join(parts)
    # a bare image name: beside the table
    rel = table.file.resolve().parent.relative_to(root) if table.file.resolve().parent.is_relative_to(root) else Path()
    return (rel / parts[-1]).as_posix()


def read_dlc(source: str | Path, options: Any) -> ImportBatch:
    source = Path(source)
    if source.is_dir():
        config_path = _find_config(source)
        if config_path is None:
            raise DataError(source, "no DeepLabCut config.yaml in this folder")
        cfg, root = _config(config_path), source.resolve()
        files = _tables_of_project(root, cfg, config_path)
    elif source.suffix.lower() in (".yaml", ".yml"):
        cfg, root = _config(source), source.resolve().parent
        files = _tables_of_project(root, cfg, source)
    else:
        root = _project_root(source)
        config_path = _find_config(root)
        cfg = _config(config_path) if config_path is not None else {}
        files = [source]
    tables = [read_table(f) for f in files]
    task = str(cfg.get("Task") or "dlc")
    from poseapp.media.images import verify_image

    problems = Problems(source)
    images: list[ImportedImage] = []
    skeletons: dict[str, Skeleton] = {}
    for table in tables:
        main_parts = _bodyparts(table, unique=False)
        unique_parts = _bodyparts(table, unique=True)
        main = _skeleton(task, main_parts, cfg, skeletons) if main_parts else None
        unique = _skeleton(f"{task} unique", unique_parts, cfg, skeletons) if unique_parts else None
        individuals = _individuals(table)
        for index, values in table.rows:
            rel = _image_rel(index, table, root)
            file = root / rel
            if not file.is_file():
                problems.add(f"{table.file.name}: image {rel} is not in {root}")
                continue
            try:
                width, height = verify_image(file)
            except DataError as exc:
                problems.add(f"{table.file.name}: {exc}")
                continue
            extra = {"dlc_scorer": table.scorer, "dlc_index": table.index_style,
                     "dlc_individuals": individuals if table.multi else None}
            image = ImportedImage(rel, width, height, extra=extra)
            for who, skel in ([(n, main) for n in (individuals or [None])] if main else []) + (
                    [(SINGLE, unique)] if unique else []):
                kps = _keypoints(table, values, who, skel)
                if kps is None:
                    continue
                if np.any(np.abs(kps[:, :2]) > MAX_COORDINATE):
                    problems.add(f"{table.file.name}: {rel}: a point lies beyond {MAX_COORDINATE:g} pixels")
                    continue
                inst_extra: dict[str, Any] = {}
                if who == SINGLE:
                    inst_extra[INDIVIDUAL] = SINGLE
                elif who is not None:
                    inst_extra.update(track_id=individuals.index(who), track_name=who)
                image.instances.append(ImportedInstance(
                    kps, skel, bbox=box_around(kps, width, height), category_id=list(skeletons).index(skel.name) + 1,
                    extra=inst_extra,
                ))
            images.append(image)
    problems.raise_if_any()
    if not images:
        raise DataError(source, "no labelled images")
    return ImportBatch(
        format="dlc", annotation_file=source, image_root=root, images=images,
        categories=[(s.to_coco_category(n + 1, name=s.name.split(":")[1]), s) for n, s in enumerate(skeletons.values())],
        # the config's own settings (pcutoff, batch_size, colormap, ...), which an export writes back
        meta={"config": json.loads(json.dumps(cfg, default=str))} if cfg else {},
    )


def _bodyparts(table: Table, unique: bool) -> list[str]:
    out: list[str] = []
    first = next((c[0] for c in table.columns if c[0] != SINGLE), None)
    for who, part, _ in table.columns:
        if (who == SINGLE) == unique and (unique or who == first) and part not in out:
            out.append(part)
    return out


def _individuals(table: Table) -> list[str]:
    out: list[str] = []
    for who, _, _ in table.columns:
        if who is not None and who != SINGLE and who not in out:
            out.append(who)
    return out


def _skeleton(name: str, parts: list[str], cfg: dict[str, Any], made: dict[str, Skeleton]) -> Skeleton:
    edges = []
    for pair in cfg.get("skeleton") or []:
        if isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] in parts and pair[1] in parts:
            edge = (parts.index(pair[0]), parts.index(pair[1]))
            if edge not in edges:
                edges.append(edge)
    skel = Skeleton(f"custom:{name}:{len(parts)}", tuple(parts), tuple(edges), infer_flip_pairs(parts))
    made.setdefault(skel.name, skel)
    return made[skel.name]


def _keypoints(table: Table, values: np.ndarray, who: str | None, skel: Skeleton) -> np.ndarray | None:
    kps = np.zeros((skel.num_joints, 3))
    for c in range(0, len(table.columns), 2):
        individual, part, _ = table.columns[c]
        if individual != who or part not in skel.joints:
            continue
        x, y = values[c], values[c + 1]
        if math.isfinite(x) and math.isfinite(y):
            kps[skel.joints.index(part)] = (x, y, 2)
    return kps if np.any(kps[:, 2] > 0) else None


def read(source: Path, options: Any) -> ImportBatch:
    return read_dlc(source, options)


# --------------------------------------------------------------------------------------- export
def _columns(scorer: str, main: Skeleton | None, individuals: list[str] | None, unique: Skeleton | None):
    import pandas as pd

    tuples = []
    for who in (individuals if individuals is not None else [None]):
        for part in (main.joints if main is not None else ()):
            for coord in ("x", "y"):
                tuples.append((scorer, who, part, coord) if individuals is not None else (scorer, part, coord))
    if unique is not None:
        for part in unique.joints:
            for coord in ("x", "y"):
                tuples.append((scorer, SINGLE, part, coord))
    names = ["scorer", "individuals", "bodyparts", "coords"] if individuals is not None else ["scorer", "bodyparts", "coords"]
    return pd.MultiIndex.from_tuples(tuples, names=names)


def export_dlc(project: Project, out: str | Path, include_predictions: bool = False, link_images: bool = False
               ) -> dict[str, Any]:
    import pandas as pd
    import yaml

    from poseapp.formats.yolo_export import _place_image
    from poseapp.media.frames import FrameLoader
    from poseapp.media.images import write_image

    origins = ("manual", "predicted") if include_predictions else ("manual",)
    frames = []
    counts: dict[str, Any] = {"images": 0, "instances": 0}
    per_skeleton: dict[str, int] = {}
    for frame_id in project.frame_ids():
        frame = project.frame(frame_id)
        people = [i for i in project.instances(frame_id) if i.origin in origins]
        if people or "dlc_scorer" in frame.extra:
            frames.append((frame, people))
            for inst in people:
                if inst.extra.get(INDIVIDUAL) != SINGLE:
                    per_skeleton[inst.skeleton] = per_skeleton.get(inst.skeleton, 0) + 1
    unique_names = {i.skeleton for _, people in frames for i in people if i.extra.get(INDIVIDUAL) == SINGLE}
    if not per_skeleton and not unique_names:
        raise DataError(project.path, "nobody to export: DeepLabCut's labelled data needs annotated people")
    if len(unique_names) > 1:
        raise DataError(project.path, "unique body parts in more than one skeleton: " + ", ".join(sorted(unique_names)))
    main_name = max(per_skeleton, key=per_skeleton.get) if per_skeleton else None
    main = project.skeleton(main_name) if main_name else None
    unique = project.skeleton(next(iter(unique_names))) if unique_names else None
    scorers = [f.extra["dlc_scorer"] for f, _ in frames if isinstance(f.extra.get("dlc_scorer"), str)]
    scorer = max(set(scorers), key=scorers.count) if scorers else "poseapp"
    style = next((f.extra["dlc_index"] for f, _ in frames if f.extra.get("dlc_index") in ("parts", "path")), "parts")
    # individuals: the files' own list, then tracks in id order, then slots for untracked people
    individuals: list[str] = []
    for f, _ in frames:
        for name in f.extra.get("dlc_individuals") or []:
            if name not in individuals:
                individuals.append(name)
    tracked = sorted({(i.extra["track_id"], str(i.extra.get("track_name", f"individual{i.extra['track_id'] + 1}")))
                      for _, people in frames for i in people if i.skeleton == main_name
                      and isinstance(i.extra.get("track_id"), int)})
    for _, name in tracked:
        if name not in individuals:
            individuals.append(name)
    most = max((sum(1 for i in people if i.skeleton == main_name) for _, people in frames), default=0)
    multi = bool(individuals) or most > 1 or unique is not None
    n = 1
    while multi and len(individuals) < most:
        if f"individual{n}" not in individuals:
            individuals.append(f"individual{n}")
        n += 1
    columns = _columns(scorer, main, individuals if multi else None, unique)
    col_of = {c: k for k, c in enumerate(columns)}
    loader = FrameLoader(project)
    by_video: dict[str, list[tuple[tuple[str, ...], np.ndarray]]] = {}
    try:
        with export_folder(out, project.path) as tmp:
            for frame, people in frames:
                video, image_name, original = _place(project, frame)
                target = tmp / "labeled-data" / video / image_name
                if original is not None and original.is_file():
                    if not target.exists():
                        how = f"image files {_place_image(original, target, link_images)}"
                        counts[how] = counts.get(how, 0) + 1
                else:
                    try:
                        target.parent.mkdir(parents=True, exist_ok=True)
                        write_image(target, loader.read(frame))
                    except Exception:
                        counts["images left out: cannot be read"] = counts.get("images left out: cannot be read", 0) + 1
                        continue
                values = np.full(len(columns), np.nan)
                free = [w for w in individuals]
                for inst in people:
                    if inst.skeleton == (unique.name if unique else None) and inst.extra.get(INDIVIDUAL) == SINGLE:
                        who, skel = SINGLE, unique
                    elif inst.skeleton == main_name:
                        name = inst.extra.get("track_name") if isinstance(inst.extra.get("track_id"), int) else None
                        who = name if name in free else (free[0] if free else None)
                        if multi and who is None:
                            counts["people left out: more than the individuals"] = counts.get(
                                "people left out: more than the individuals", 0) + 1
                            continue
                        if who in free:
                            free.remove(who)
                        skel = main
                    else:
                        counts["people left out: another skeleton"] = counts.get("people left out: another skeleton", 0) + 1
                        continue
                    for j, part in enumerate(skel.joints):
                        x, y, v = inst.keypoints[j]
                        if v > 0:
                            key = (scorer, who, part) if multi else (scorer, part)
                            values[col_of[key + ("x",)]] = x
                            values[col_of[key + ("y",)]] = y
                    counts["instances"] += 1
                index = ("labeled-data", video, image_name)
                by_video.setdefault(video, []).append((index, values))
                counts["images"] += 1
            for video, rows in by_video.items():
                if style == "parts":
                    index = pd.MultiIndex.from_tuples([r[0] for r in rows])
                else:
                    index = pd.Index(["/".join(r[0]) for r in rows])
                df = pd.DataFrame(np.array([r[1] for r in rows]), index=index, columns=columns)
                folder = tmp / "labeled-data" / video
                df.to_csv(folder / f"CollectedData_{scorer}.csv")
                df.to_hdf(folder / f"CollectedData_{scorer}.h5", key="df_with_missing", mode="w")
            (tmp / "config.yaml").write_text(yaml.safe_dump(
                _config_for(project, scorer, main, unique, individuals if multi else None, list(by_video), tmp, out),
                sort_keys=False), encoding="utf-8")
    finally:
        loader.close()
    counts["videos"] = len(by_video)
    return {k: v for k, v in counts.items() if v or k in ("images", "instances")}


def _place(project: Project, frame: Any) -> tuple[str, str, Path | None]:
    """The labeled-data folder and image name a frame gets, and its image file (None: a video frame)."""
    source = project.source(frame.source_id)
    if frame.file_name is None:
        return Path(source.path).stem, f"img{frame.index:05d}.png", None
    parts = PurePosixPath(frame.file_name).parts
    if len(parts) >= 3 and parts[-3] == "labeled-data":
        return parts[-2], parts[-1], Path(project.frame_path(frame))
    folder = parts[-2] if len(parts) >= 2 else Path(source.path).name if source.kind == "folder" else Path(source.path).parent.name
    return folder or "images", parts[-1], Path(project.frame_path(frame))


# config.yaml keys an export writes from the project itself; every other key of an imported config is kept
DERIVED_CONFIG_KEYS = frozenset({"Task", "scorer", "multianimalproject", "identity", "project_path", "bodyparts", "individuals",
                                 "uniquebodyparts", "multianimalbodyparts", "video_sets", "skeleton"})


def _config_for(project: Project, scorer: str, main: Skeleton | None, unique: Skeleton | None,
                individuals: list[str] | None, videos: list[str], tmp: Path, out: str | Path) -> dict[str, Any]:
    names = lambda skel: list(skel.joints) if skel is not None else []  # noqa: E731
    task = (main or unique).name.split(":")[1] if (main or unique).name.startswith("custom:") else (main or unique).name
    edges = [[s.joints[a], s.joints[b]] for s in (main, unique) if s is not None for a, b in s.edges]
    cfg: dict[str, Any] = {"Task": task, "scorer": scorer, "date": "", "multianimalproject": individuals is not None,
                           "identity": False if individuals is not None else None,
                           "project_path": str(Path(out).resolve())}
    if individuals is None:
        cfg["bodyparts"] = names(main)
    else:
        cfg.update(individuals=list(individuals), uniquebodyparts=names(unique), multianimalbodyparts=names(main),
                   bodyparts="MULTI!")
    # DeepLabCut finds each labeled-data folder through a video of that name in video_sets
    sizes = {}
    for video in videos:
        first = next(iter(sorted((tmp / "labeled-data" / video).glob("img*"))), None) or next(
            iter(sorted(p for p in (tmp / "labeled-data" / video).iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))), None)
        size = (0, 0)
        if first is not None:
            from poseapp.media.images import image_size
            size = image_size(first)
        sizes[str(Path(out).resolve() / "videos" / f"{video}.mp4")] = {"crop": f"0, {size[0]}, 0, {size[1]}"}
    cfg.update(video_sets=sizes, start=0, stop=1, numframes2pick=20, skeleton=edges, skeleton_color="black",
               pcutoff=0.6, dotsize=12, alphavalue=0.7, colormap="rainbow", TrainingFraction=[0.95], iteration=0,
               default_net_type="dlcrnet_ms5" if individuals is not None else "resnet_50", snapshotindex=-1,
               batch_size=8 if individuals is not None else 1, cropping=False, x1=0, x2=640, y1=277, y2=624,
               corner2move2=[50, 50], move2corner=True)
    if cfg["identity"] is None:
        del cfg["identity"]
    # the imported config's settings stay as the user had them (a walk found pcutoff 0.4 -> 0.6,
    # batch_size 4 -> 1, colormap jet -> rainbow); what says the project's data is written anew
    kept = (project.get_meta("dlc") or {}).get("config") or {}
    cfg.update({k: v for k, v in kept.items() if k not in DERIVED_CONFIG_KEYS})
    return cfg


def export(project: Project, out: Path, options: Any) -> dict[str, Any]:
    return export_dlc(project, out, include_predictions=options.include_predictions, link_images=options.link_images)
