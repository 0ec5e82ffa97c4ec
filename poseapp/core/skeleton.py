"""Skeleton definitions: joint names, limbs, left/right flip pairs, OKS sigmas, PCK joint groups.

Presets are the three skeletons the shipped data uses (LSP-14, MPII-16, COCO-17). Any other
skeleton comes from a COCO category (``Skeleton.from_coco_category``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class Skeleton:
    name: str
    joints: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]  # 0-based joint indices; also the body parts ("limbs")
    flip_pairs: tuple[tuple[int, int], ...] = ()
    sigmas: tuple[float, ...] | None = None  # COCO OKS per-joint sigmas, when known
    groups: tuple[str, ...] | None = None  # PCK table group per joint (head, shoulder, ...)

    def __post_init__(self) -> None:
        k = len(self.joints)
        if k == 0:
            raise ValueError(f"skeleton {self.name!r} has no joints")
        if len(set(self.joints)) != k:
            raise ValueError(f"skeleton {self.name!r} repeats a joint name")
        for a, b in self.edges + self.flip_pairs:
            if not (0 <= a < k and 0 <= b < k):
                raise ValueError(f"skeleton {self.name!r} has an edge or flip pair outside 0..{k - 1}")
        if self.sigmas is not None and len(self.sigmas) != k:
            raise ValueError(f"skeleton {self.name!r}: {len(self.sigmas)} sigmas for {k} joints")
        if self.groups is not None and len(self.groups) != k:
            raise ValueError(f"skeleton {self.name!r}: {len(self.groups)} groups for {k} joints")

    @property
    def num_joints(self) -> int:
        return len(self.joints)

    def index(self, joint: str) -> int:
        return self.joints.index(joint)

    def flip_permutation(self) -> list[int]:
        """perm[i] is the joint that joint i becomes after a horizontal flip."""
        perm = list(range(self.num_joints))
        for a, b in self.flip_pairs:
            perm[a], perm[b] = b, a
        return perm

    def side(self, joint: int) -> str:
        """'left', 'right' or 'centre', for colouring limbs."""
        name = self.joints[joint].lower()
        if re.search(r"(^|[_\s])(l|left)([_\s]|$)", name) or name.startswith("left"):
            return "left"
        if re.search(r"(^|[_\s])(r|right)([_\s]|$)", name) or name.startswith("right"):
            return "right"
        return "centre"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "joints": list(self.joints),
            "edges": [list(e) for e in self.edges],
            "flip_pairs": [list(p) for p in self.flip_pairs],
            "sigmas": list(self.sigmas) if self.sigmas is not None else None,
            "groups": list(self.groups) if self.groups is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Skeleton":
        return cls(
            name=str(data["name"]),
            joints=tuple(str(j) for j in data["joints"]),
            edges=tuple((int(a), int(b)) for a, b in data.get("edges", [])),
            flip_pairs=tuple((int(a), int(b)) for a, b in data.get("flip_pairs", [])),
            sigmas=tuple(float(s) for s in data["sigmas"]) if data.get("sigmas") is not None else None,
            groups=tuple(str(g) for g in data["groups"]) if data.get("groups") is not None else None,
        )

    def oks_sigmas(self) -> tuple[float, ...]:
        """Per-joint OKS sigmas: the skeleton's own, else COCO's for a joint COCO names, CrowdPose's
        0.079 for a head top or neck, and DEFAULT_SIGMA (0.072, about COCO's mean) for any other."""
        if self.sigmas is not None:
            return self.sigmas
        coco = dict(zip(COCO17.joints, COCO17.sigmas or ()))
        return tuple(coco.get(j, NAMED_SIGMAS.get(j, DEFAULT_SIGMA)) for j in self.joints)

    def to_coco_category(self, category_id: int, name: str = "person", supercategory: str = "person") -> dict:
        category = {
            "supercategory": supercategory,
            "id": category_id,
            "name": name,
            "keypoints": list(self.joints),
            "skeleton": [[a + 1, b + 1] for a, b in self.edges],
        }
        if self.joints != COCO17.joints:
            # an extension pycocotools ignores: COCOeval scores this skeleton with
            # params.kpt_oks_sigmas = np.array(category["sigmas"]) (README, "Scoring")
            category["sigmas"] = list(self.oks_sigmas())
        return category

    @classmethod
    def from_coco_category(cls, category: dict[str, Any]) -> "Skeleton":
        """A skeleton from a COCO category; the COCO-17 names map onto the preset (with sigmas)."""
        names = tuple(str(k) for k in category["keypoints"])
        for preset in PRESETS.values():
            if preset.joints == names:
                return preset
        k = len(names)
        edges = tuple((int(a) - 1, int(b) - 1) for a, b in category.get("skeleton") or [])
        return cls(
            name=f"custom:{category.get('name', 'object')}:{k}",
            joints=names,
            edges=edges,
            flip_pairs=infer_flip_pairs(names),
        )


def infer_flip_pairs(names: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Pair 'left_x' with 'right_x' (also l_/r_ and 'Left X'/'Right X' spellings), and names that
    differ only in one capital L/R token, as SLEAP's and DeepLabCut's skeletons name sides
    ('wingL'/'wingR', 'forelegL1'/'forelegR1', 'L_ear'/'R_ear')."""
    pairs = list(_word_flip_pairs(names))
    for i, j in _letter_flip_pairs(names):
        if not any(i in p or j in p for p in pairs):
            pairs.append((i, j))
    return tuple(pairs)


def _letter_flip_pairs(names: Sequence[str]) -> list[tuple[int, int]]:
    found = []
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if j <= i or len(a) != len(b):
                continue
            diff = [k for k in range(len(a)) if a[k] != b[k]]
            if len(diff) != 1 or {a[diff[0]], b[diff[0]]} != {"L", "R"}:
                continue
            k = diff[0]
            before_ok = k == 0 or not a[k - 1].isupper()  # 'wingL', 'forelegL1', 'L_ear'; not 'LOWER'
            after_ok = k == len(a) - 1 or not a[k + 1].islower()
            if before_ok and after_ok:
                found.append((i, j) if a[k] == "L" else (j, i))
    return found


def _word_flip_pairs(names: Sequence[str]) -> tuple[tuple[int, int], ...]:
    lowered = [n.lower() for n in names]
    pairs = []
    for i, name in enumerate(lowered):
        for left, right in (("left", "right"), ("l_", "r_"), ("l ", "r ")):
            if name.startswith(left) or f"_{left}" in name:
                twin = name.replace(left, right, 1)
                if twin in lowered:
                    j = lowered.index(twin)
                    if (j, i) not in pairs and i != j:
                        pairs.append((i, j))
                break
    return tuple(pairs)


LSP14 = Skeleton(
    name="lsp14",
    joints=(
        "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
        "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow", "left_wrist",
        "neck", "head_top",
    ),
    edges=(
        (0, 1), (1, 2), (3, 4), (4, 5),  # legs
        (6, 7), (7, 8), (9, 10), (10, 11),  # arms
        (2, 8), (3, 9), (2, 3),  # torso
        (8, 12), (9, 12), (12, 13),  # shoulders to neck, head
    ),
    flip_pairs=((0, 5), (1, 4), (2, 3), (6, 11), (7, 10), (8, 9)),
    groups=(
        "ankle", "knee", "hip", "hip", "knee", "ankle",
        "wrist", "elbow", "shoulder", "shoulder", "elbow", "wrist",
        "head", "head",
    ),
)

MPII16 = Skeleton(
    name="mpii16",
    joints=(
        "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
        "pelvis", "thorax", "upper_neck", "head_top",
        "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow", "left_wrist",
    ),
    edges=(
        (0, 1), (1, 2), (2, 6), (3, 6), (3, 4), (4, 5),
        (6, 7), (7, 8), (8, 9),
        (10, 11), (11, 12), (12, 7), (13, 7), (13, 14), (14, 15),
    ),
    flip_pairs=((0, 5), (1, 4), (2, 3), (10, 15), (11, 14), (12, 13)),
    groups=(
        "ankle", "knee", "hip", "hip", "knee", "ankle",
        "hip", "shoulder", "head", "head",
        "wrist", "elbow", "shoulder", "shoulder", "elbow", "wrist",
    ),
)

COCO17 = Skeleton(
    name="coco17",
    joints=(
        "nose", "left_eye", "right_eye", "left_ear", "right_ear",
        "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
        "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    ),
    # The official COCO person skeleton (1-based in the JSON), in its published order.
    edges=tuple(
        (a - 1, b - 1)
        for a, b in (
            (16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8),
            (7, 9), (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7),
        )
    ),
    flip_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
    sigmas=(
        0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072,
        0.062, 0.062, 0.107, 0.107, 0.087, 0.087, 0.089, 0.089,
    ),
    groups=(
        "head", "head", "head", "head", "head",
        "shoulder", "shoulder", "elbow", "elbow", "wrist", "wrist",
        "hip", "hip", "knee", "knee", "ankle", "ankle",
    ),
)

PRESETS: dict[str, Skeleton] = {s.name: s for s in (LSP14, MPII16, COCO17)}

# OKS sigmas of joints COCO does not name: CrowdPose's for the head top and neck (its 14 joints are
# LSP's), MPII's extra joints alike; any other joint of a custom skeleton gets DEFAULT_SIGMA.
NAMED_SIGMAS = {"head_top": 0.079, "neck": 0.079, "upper_neck": 0.079, "thorax": 0.079, "pelvis": 0.107}
DEFAULT_SIGMA = 0.072


# How people name the presets (File > New, the fine-tuning plan); stored names stay short
PRESET_TITLES = {"coco17": "COCO-17", "lsp14": "LSP-14", "mpii16": "MPII-16"}


def skeleton_title(name: str) -> str:
    """A skeleton's name as a user reads it: COCO-17 for coco17; a dataset's own skeleton, stored
    as ``custom:NAME:K``, as 'NAME (K joints)'."""
    if name in PRESET_TITLES:
        return PRESET_TITLES[name]
    parts = name.split(":")
    if len(parts) == 3 and parts[0] == "custom" and parts[2].isdigit():
        return f"{parts[1] or 'custom'} ({parts[2]} joints)"
    return name


def preset(name: str) -> Skeleton:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown skeleton {name!r}; presets are {', '.join(PRESETS)}") from None


def preset_for_joint_count(k: int) -> Skeleton | None:
    """The preset with ``k`` joints, for formats that carry no joint names (YOLO-pose)."""
    matches = [s for s in PRESETS.values() if s.num_joints == k]
    return matches[0] if len(matches) == 1 else None


def skeleton_of(config: Any) -> Skeleton:
    """The skeleton of a model config: its ``skeleton_data`` when it carries one (a skeleton that
    is no preset), else the preset its ``skeleton`` names."""
    data = getattr(config, "skeleton_data", None)
    return Skeleton.from_dict(data) if data is not None else preset(config.skeleton)
