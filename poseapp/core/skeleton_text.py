"""A skeleton of the user's own, from the text they type (File > New > Define your own skeleton):
joint names, limbs and left/right pairs, each a list of items on lines or between commas; a
limb or a pair is two joint names joined by a hyphen ("snout-left_ear"). Every mistake is named
with the item it is in, so the user can fix it where they typed it."""

from __future__ import annotations

import re

from poseapp.core.skeleton import Skeleton


def _items(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[\n,;]", text) if item.strip()]


def _pair(item: str, index: dict[str, int], what: str) -> tuple[int, int]:
    """The two joints of ``a-b``; a joint name may hold a hyphen itself, so every split is tried."""
    cuts = [m.start() for m in re.finditer("-", item)]
    for cut in cuts:
        a, b = item[:cut].strip(), item[cut + 1:].strip()
        if a in index and b in index:
            if a == b:
                raise ValueError(f"{what} {item!r} joins {a!r} to itself")
            return index[a], index[b]
    if not cuts:
        raise ValueError(f"{what} {item!r} is not two joint names joined by a hyphen (like snout-left_ear)")
    unknown = [p.strip() for p in item.split("-") if p.strip() and p.strip() not in index]
    raise ValueError(f"{what} {item!r} names no joint {unknown[0]!r}" if unknown else f"{what} {item!r} is not two joints")


def skeleton_from_text(name: str, joints: str, limbs: str = "", pairs: str = "") -> Skeleton:
    """The skeleton ``custom:NAME:K``; ValueError says what is wrong and where."""
    name = name.strip()
    if not name:
        raise ValueError("the skeleton needs a name (a COCO export names its category so)")
    if ":" in name:
        raise ValueError(f"the name {name!r} may not hold a colon")
    names = _items(joints)
    if len(names) < 2:
        raise ValueError("a skeleton needs at least two joints (one name a line, or separated by commas)")
    seen: set[str] = set()
    for joint in names:
        if joint in seen:
            raise ValueError(f"the joint {joint!r} is listed twice")
        if "-" in joint and any(part.strip() in names for part in joint.split("-")):
            raise ValueError(f"the joint {joint!r} reads as a limb: a joint's name holds no hyphen between two joint names")
        seen.add(joint)
    index = {joint: i for i, joint in enumerate(names)}
    edges: list[tuple[int, int]] = []
    for item in _items(limbs):
        edge = _pair(item, index, "the limb")
        if edge in edges or edge[::-1] in edges:
            raise ValueError(f"the limb {item!r} is listed twice")
        edges.append(edge)
    flips: list[tuple[int, int]] = []
    paired: dict[int, str] = {}
    for item in _items(pairs):
        a, b = _pair(item, index, "the left/right pair")
        for joint in (a, b):
            if joint in paired:
                raise ValueError(f"the joint {names[joint]!r} is in two left/right pairs ({paired[joint]!r} and {item!r})")
            paired[joint] = item
        flips.append((a, b))
    return Skeleton(name=f"custom:{name}:{len(names)}", joints=tuple(names), edges=tuple(edges), flip_pairs=tuple(flips))
