"""COCO categories as real tools write them: the joint layout is checked, the drawing is forgiven.

A category's ``skeleton`` only says which joints to connect when drawing, so a wrong one never
refuses a file: CrowdPose names joints beyond its 14 keypoints (COCO's skeleton copied), ExLPose
and Datumaro/CVAT exports count joints from 0. Such edges are fixed or dropped and a note says
so; the category itself is kept unchanged for a lossless export. What does refuse a category
is said with its real cause, and its annotations are not reported once more each.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from poseapp.core.skeleton import Skeleton, preset_for_joint_count
from poseapp.formats.dataset import Problems, describe, is_int

Categories = dict[int, tuple[dict, "Skeleton | None"]]


def read_categories(
    raw: list[Any], annotations: list[Any], problems: Problems, notes: list[str]
) -> tuple[Categories, set[int]]:
    """({id: (category, skeleton or None when it has no keypoints)}, ids of refused categories)."""
    out: Categories = {}
    refused: set[int] = set()
    lengths = _keypoint_lengths(annotations)
    for i, cat in enumerate(raw):
        if not isinstance(cat, dict) or not is_int(cat.get("id")):
            problems.add(f"categories[{i}] needs an integer 'id' below 2^63, not {describe(cat.get('id') if isinstance(cat, dict) else cat)}")
            continue
        cid = cat["id"]
        if cid in out or cid in refused:
            problems.add(f"categories[{i}]: id {cid} is used twice")
            continue
        where = f"categories[{i}] ({cat.get('name')!r})"
        names = cat.get("keypoints")
        if not names:
            names = _generated_names(cat, lengths.get(cid, set()), where, problems, notes)
            if names is None:
                refused.add(cid)
                continue
            if not names:
                out[cid] = (cat, None)
                continue
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.add(f"{where}: 'keypoints' must be a list of joint names, not {describe(names, 80)}")
            refused.add(cid)
            continue
        edges = _drawing_edges(cat.get("skeleton"), len(names), where, notes)
        try:
            skeleton = Skeleton.from_coco_category({**cat, "keypoints": names, "skeleton": edges})
        except ValueError as exc:
            problems.add(f"{where}: {exc}")
            refused.add(cid)
            continue
        out[cid] = (cat, skeleton)
    _refuse_point_per_category(out, lengths, problems)
    return _share_layouts(out), refused


def _keypoint_lengths(annotations: list[Any]) -> dict[int, set[int]]:
    """For each category id, the lengths of the keypoint lists its annotations carry."""
    lengths: dict[int, set[int]] = {}
    for ann in annotations:
        if isinstance(ann, dict) and is_int(ann.get("category_id")) and isinstance(ann.get("keypoints"), list):
            if ann["keypoints"]:
                lengths.setdefault(ann["category_id"], set()).add(len(ann["keypoints"]))
    return lengths


def _generated_names(cat: dict, lengths: set[int], where: str, problems: Problems, notes: list[str]) -> list[str] | None:
    """Joint names for a category that lists none although its annotations carry keypoints (Halpe).

    [] when its annotations carry none either (a box-only category), None when refused.
    """
    if not lengths:
        return []
    if len(lengths) > 1 or next(iter(lengths)) % 3:
        problems.add(
            f"{where} lists no keypoint names and its annotations carry keypoint lists of {sorted(lengths)} numbers; "
            "add the joint names as the category's 'keypoints' list"
        )
        return None
    k = next(iter(lengths)) // 3
    preset = preset_for_joint_count(k)
    names = list(preset.joints) if preset is not None else [f"kp{j}" for j in range(k)]
    notes.append(
        f"category {cat.get('name')!r} lists no keypoint names but its annotations carry {k} keypoints each: "
        + (f"imported as the {preset.name} layout" if preset is not None else f"joints named kp0..kp{k - 1}")
    )
    return names


def _drawing_edges(edges: Any, k: int, where: str, notes: list[str]) -> list[list[int]]:
    """1-based edges within 1..k; anything else is fixed (0-based) or dropped, with a note."""
    if not edges:
        return []
    if not isinstance(edges, list) or not all(
        isinstance(e, list) and len(e) == 2 and all(is_int(j) for j in e) for e in edges
    ):
        notes.append(f"{where}: 'skeleton' is not a list of joint pairs; it is drawing information only and was ignored")
        return []
    flat = [j for e in edges for j in e]
    if all(1 <= j <= k for j in flat):
        return edges
    if all(0 <= j < k for j in flat):
        notes.append(f"{where}: 'skeleton' counts joints from 0 (COCO counts from 1); read it that way")
        return [[a + 1, b + 1] for a, b in edges]
    kept = [e for e in edges if all(1 <= j <= k for j in e)]
    dropped = [e for e in edges if e not in kept]
    notes.append(
        f"{where}: 'skeleton' names joints outside 1..{k} ({describe(dropped, 60)}); "
        f"those {len(dropped)} drawing edge(s) were ignored"
    )
    return kept


def _refuse_point_per_category(out: Categories, lengths: dict[int, set[int]], problems: Problems) -> None:
    """A CVAT export in which every body point was made its own label: many one-point categories."""
    single = [cat for cid, (cat, skel) in out.items() if skel is not None and skel.num_joints == 1]
    if len(single) >= 2 and len(single) == sum(1 for _, s in out.values() if s is not None):
        names = ", ".join(str(c.get("name")) for c in single[:6]) + (", ..." if len(single) > 6 else "")
        problems.add(
            f"{len(single)} categories ({names}) each hold a single point: this looks like a CVAT export in which "
            "every body point is its own label. A pose needs one category whose 'keypoints' lists all joints; in CVAT, "
            "make one skeleton label with these points and export 'COCO Keypoints 1.0' again"
        )


def _share_layouts(out: Categories) -> Categories:
    """Categories with the same joints and edges (AP-10K's 54 animals) share one skeleton."""
    groups: dict[tuple, list[int]] = {}
    for cid, (_, skel) in out.items():
        if skel is not None and skel.name.startswith("custom:"):
            groups.setdefault((skel.joints, skel.edges), []).append(cid)
    for cids in groups.values():
        if len(cids) < 2:
            continue
        cats = [out[c][0] for c in cids]
        supers = {str(c.get("supercategory")) for c in cats if c.get("supercategory")}
        label = supers.pop() if len(supers) == 1 else str(cats[0].get("name", "object"))
        first = out[cids[0]][1]
        assert first is not None
        shared = dataclasses.replace(first, name=f"custom:{label}:{first.num_joints}")
        for c in cids:
            out[c] = (out[c][0], shared)
    return out
