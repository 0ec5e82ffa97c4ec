"""CVAT XML ("CVAT for images 1.1", and the ``<track>`` elements of "CVAT for video 1.1") with
skeleton labels: the way CVAT users move their pose annotations, video tracks included.

A skeleton label lists its points as sub-labels (``<label><parent>person</parent>``); their order
is the joint order. A ``<skeleton>`` holds one ``<points>`` per joint with ``points="x,y"``:
``outside="1"`` is a joint not labelled (v = 0), ``occluded="1"`` one hidden but placed (v = 1),
otherwise v = 2. A joint CVAT does not list is not labelled. Tracks are unrolled into one
instance per frame on which the skeleton is not ``outside``; the CVAT track id rides along in
the instance's ``cvat_track`` field and is written back as a track on export.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from poseapp.core.errors import DataError
from poseapp.core.skeleton import Skeleton
from poseapp.formats.dataset import (
    MAX_COORDINATE, ImportBatch, ImportedImage, ImportedInstance, Problems, box_around, safe_relative_path,
)
from poseapp.formats.output import atomic_text_export
from poseapp.media.images import verify_image
from poseapp.store import Project


def detect(source: Path) -> bool:
    if not (source.is_file() and source.suffix.lower() == ".xml"):
        return False
    try:
        with open(source, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return b"<annotations" in head


def _parse(path: Path) -> ET.Element:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DataError(path, f"not well-formed XML: {exc}") from None
    except OSError as exc:
        raise DataError(path, f"cannot read the file: {exc.strerror}") from None
    if root.tag != "annotations":
        raise DataError(path, f"a CVAT XML file starts with <annotations>, this one with <{root.tag}>")
    return root


def _skeletons(root: ET.Element, path: Path) -> dict[str, Skeleton]:
    """Skeleton labels by name, joints in the order CVAT lists their point sub-labels."""
    labels = root.findall("./meta/task/labels/label") + root.findall("./meta/job/labels/label") + root.findall(
        "./meta/project/labels/label")
    out: dict[str, Skeleton] = {}
    for label in labels:
        if label.findtext("type") != "skeleton":
            continue
        name = label.findtext("name") or "person"
        joints = [sub.findtext("name") for sub in labels if sub.findtext("parent") == name]
        if not joints:
            raise DataError(path, f"skeleton label {name!r} has no point labels")
        edges = _svg_edges(label.findtext("svg") or "", joints)
        # As a COCO category, so that COCO-17 joint names come back as the COCO preset.
        out[name] = Skeleton.from_coco_category(
            {"name": name, "keypoints": joints, "skeleton": [[a + 1, b + 1] for a, b in edges]}
        )
    if not out:
        raise DataError(path, "no skeleton label in <meta>: CVAT exports of pose annotations have a label of type skeleton")
    return out


def _svg_edges(svg: str, joints: list[str]) -> tuple[tuple[int, int], ...]:
    """CVAT draws a skeleton as SVG: nodes carry their label name, edges the nodes' ids."""
    try:
        doc = ET.fromstring(f"<svg>{svg}</svg>")
    except ET.ParseError:
        return ()
    node_joint = {c.get("data-node-id"): c.get("data-label-name") for c in doc.iter("circle")}
    edges = []
    for line in doc.iter("line"):
        a, b = node_joint.get(line.get("data-node-from")), node_joint.get(line.get("data-node-to"))
        if a in joints and b in joints:
            edges.append((joints.index(a), joints.index(b)))
    return tuple(edges)


def _keypoints(element: ET.Element, skeleton: Skeleton, where: str, problems: Problems) -> np.ndarray | None:
    kps = np.zeros((skeleton.num_joints, 3))
    for pts in element.findall("points"):
        name = pts.get("label")
        if name not in skeleton.joints:
            problems.add(f"{where}: point {name!r} is not a joint of {skeleton.name}")
            return None
        j = skeleton.joints.index(name)
        if pts.get("outside") == "1":
            continue
        try:
            x, y = (float(v) for v in (pts.get("points") or "").split(";")[0].split(","))
        except ValueError:
            problems.add(f"{where}: point {name!r} has points={pts.get('points')!r}, expected 'x,y'")
            return None
        if not (math.isfinite(x) and math.isfinite(y) and abs(x) <= MAX_COORDINATE and abs(y) <= MAX_COORDINATE):
            problems.add(f"{where}: point {name!r} is not a finite position")
            return None
        kps[j] = (x, y, 1 if pts.get("occluded") == "1" else 2)
    return kps


def read_cvat(path: str | Path, image_root: str | Path | None = None, allow_missing_images: bool = False) -> ImportBatch:
    path = Path(path)
    root = _parse(path)
    skeletons = _skeletons(root, path)
    folder = Path(image_root) if image_root is not None else path.parent
    if image_root is None and (path.parent / "images").is_dir():
        folder = path.parent / "images"  # CVAT's "save images" export puts them there
    problems = Problems(path)
    images: dict[int, ImportedImage] = {}
    missing: list[str] = []
    for el in root.findall("image"):
        where = f"<image id={el.get('id')!r} name={el.get('name')!r}>"
        rel = safe_relative_path(el.get("name"), folder)
        try:
            frame, width, height = int(el.get("id", "")), int(el.get("width", "")), int(el.get("height", ""))
        except ValueError:
            problems.add(f"{where}: id, width and height must be integers")
            continue
        if rel is None or width <= 0 or height <= 0:
            problems.add(f"{where}: needs a relative name and a positive size")
            continue
        file = folder / rel
        if not file.exists():
            if not allow_missing_images:
                problems.add(f"{where}: image file {file} does not exist")
                continue
            missing.append(rel)
        elif folder.resolve() not in file.resolve().parents:
            problems.add(f"{where}: {file} leads outside {folder}; refused")
            continue
        else:
            try:
                verify_image(file)
            except DataError as exc:
                problems.add(f"{where}: {exc}")
                continue
        image = images[frame] = ImportedImage(rel, width, height, ext_id=frame)
        for n, sk in enumerate(el.findall("skeleton")):
            _add(image, sk, skeletons, f"{where} skeleton {n}", problems, None)
    for track in root.findall("track"):
        for sk in track.findall("skeleton"):
            if sk.get("outside") == "1":
                continue  # the person left the picture on this frame
            frame = int(sk.get("frame", "-1")) if (sk.get("frame") or "").lstrip("-").isdigit() else -1
            where = f"<track id={track.get('id')!r}> frame {sk.get('frame')!r}"
            if frame not in images:
                problems.add(f"{where}: no <image> with this frame number")
                continue
            sk.set("label", track.get("label", ""))
            _add(images[frame], sk, skeletons, where, problems, track.get("id"))
    problems.raise_if_any()
    if not images:
        raise DataError(path, "no <image> elements")
    notes = [f"{len(missing)} image file(s) are not in {folder} and were imported without pixels: "
             + ", ".join(missing[:10])] if missing else []
    categories = [(s.to_coco_category(n + 1, name=name), s) for n, (name, s) in enumerate(skeletons.items())]
    return ImportBatch(format="cvat", annotation_file=path, image_root=folder, images=list(images.values()),
                       categories=categories, notes=notes)


def _add(image: ImportedImage, sk: ET.Element, skeletons: dict[str, Skeleton], where: str, problems: Problems,
         track: str | None) -> None:
    label = sk.get("label", "")
    skeleton = skeletons.get(label)
    if skeleton is None:
        problems.add(f"{where}: label {sk.get('label')!r} is not a skeleton label of the file")
        return
    kps = _keypoints(sk, skeleton, where, problems)
    if kps is None:
        return
    extra: dict[str, Any] = {"cvat_track": int(track)} if track is not None and track.isdigit() else {}
    image.instances.append(ImportedInstance(
        keypoints=kps, skeleton=skeleton, bbox=box_around(kps, image.width, image.height),
        category_id=list(skeletons).index(label) + 1, extra=extra,
    ))


def read(source: Path, options: Any) -> ImportBatch:
    return read_cvat(source, image_root=options.image_root, allow_missing_images=options.allow_missing_images)


# ---------------------------------------------------------------------------------------- export
def _label_xml(labels: ET.Element, name: str, skeleton: Skeleton) -> None:
    label = ET.SubElement(labels, "label")
    ET.SubElement(label, "name").text = name
    ET.SubElement(label, "type").text = "skeleton"
    nodes = "".join(
        f'<circle r="1.5" data-type="element node" data-element-id="{j + 1}" data-node-id="{j + 1}" '
        f'data-label-name="{joint}" cx="0" cy="0"></circle>' for j, joint in enumerate(skeleton.joints)
    )
    lines = "".join(f'<line data-type="edge" data-node-from="{a + 1}" data-node-to="{b + 1}"></line>' for a, b in skeleton.edges)
    ET.SubElement(label, "svg").text = lines + nodes
    for joint in skeleton.joints:
        sub = ET.SubElement(labels, "label")
        ET.SubElement(sub, "name").text = joint
        ET.SubElement(sub, "type").text = "points"
        ET.SubElement(sub, "parent").text = name


def _points(parent: ET.Element, skeleton: Skeleton, kps: np.ndarray, extra: dict[str, str]) -> None:
    for joint, (x, y, v) in zip(skeleton.joints, kps):
        ET.SubElement(parent, "points", {
            "label": joint, "source": "manual", "outside": "1" if v == 0 else "0", "occluded": "1" if v == 1 else "0",
            "points": f"{x:.2f},{y:.2f}", "z_order": "0", **extra,
        })


def export_cvat(project: Project, out: str | Path, include_predictions: bool = False) -> dict[str, int]:
    """Still images as ``<image>`` + ``<skeleton>``; instances carrying a CVAT track id as ``<track>``."""
    names = {s: s.split(":")[1] if s.startswith("custom:") else "person" for s in project.skeleton_names()}
    if len(set(names.values())) < len(names):
        names = {s: s.replace(":", "_") for s in names}
    doc = ET.Element("annotations")
    ET.SubElement(doc, "version").text = "1.1"
    labels = ET.SubElement(ET.SubElement(ET.SubElement(doc, "meta"), "task"), "labels")
    used = sorted({i.skeleton for i in project.iter_instances()})
    for s in used:
        _label_xml(labels, names[s], project.skeleton(s))
    tracks: dict[int, list[tuple[int, Any]]] = {}
    counts = {"images": 0, "skeletons": 0, "tracks": 0}
    for n, frame_id in enumerate(project.frame_ids()):
        frame = project.frame(frame_id)
        name = frame.file_name or f"{Path(project.source(frame.source_id).path).stem}/frame_{frame.index:06d}.jpg"
        el = ET.SubElement(doc, "image", {"id": str(n), "name": name, "width": str(frame.width), "height": str(frame.height)})
        counts["images"] += 1
        for inst in project.instances(frame_id):
            if not (include_predictions or inst.origin == "manual"):
                continue
            if "cvat_track" in inst.extra:
                tracks.setdefault(int(inst.extra["cvat_track"]), []).append((n, inst))
                continue
            sk = ET.SubElement(el, "skeleton", {"label": names[inst.skeleton], "source": "manual", "z_order": "0"})
            _points(sk, project.skeleton(inst.skeleton), inst.keypoints, {})
            counts["skeletons"] += 1
    for track_id, shapes in sorted(tracks.items()):
        label = names[shapes[0][1].skeleton]
        tr = ET.SubElement(doc, "track", {"id": str(track_id), "label": label, "source": "manual"})
        for frame_no, inst in shapes:
            sk = ET.SubElement(tr, "skeleton", {"frame": str(frame_no), "keyframe": "1", "outside": "0", "z_order": "0"})
            _points(sk, project.skeleton(inst.skeleton), inst.keypoints, {"keyframe": "1"})
        counts["tracks"] += 1
    ET.indent(doc)
    atomic_text_export(out, ET.tostring(doc, encoding="unicode", xml_declaration=True), project.path)
    return counts


def export(project: Project, out: Path, options: Any) -> dict[str, int]:
    return export_cvat(project, out, include_predictions=options.include_predictions)
