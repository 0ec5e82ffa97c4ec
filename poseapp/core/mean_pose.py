"""Where a new person's joints start inside the box the user drew: the mean pose of the people
already annotated with that skeleton in the project, else a standing front-facing pose known by
joint name (LSP-14, MPII-16 and COCO-17 names), else an even spread. Coordinates are fractions of
the box, x to the right, y down; the person faces the camera, so their right is on the image's left."""

from __future__ import annotations

import warnings

import numpy as np

STANDING = {
    "head_top": (0.50, 0.02), "upper_neck": (0.50, 0.15), "neck": (0.50, 0.17), "thorax": (0.50, 0.21),
    "nose": (0.50, 0.09), "left_eye": (0.53, 0.06), "right_eye": (0.47, 0.06), "left_ear": (0.57, 0.08), "right_ear": (0.43, 0.08),
    "right_shoulder": (0.34, 0.21), "left_shoulder": (0.66, 0.21),
    "right_elbow": (0.26, 0.37), "left_elbow": (0.74, 0.37),
    "right_wrist": (0.20, 0.52), "left_wrist": (0.80, 0.52),
    "pelvis": (0.50, 0.52), "right_hip": (0.41, 0.52), "left_hip": (0.59, 0.52),
    "right_knee": (0.39, 0.75), "left_knee": (0.61, 0.75),
    "right_ankle": (0.38, 0.97), "left_ankle": (0.62, 0.97),
}


MIN_PEOPLE = 5  # fewer annotated people than this for a joint: the standing pose is the better start


def project_mean_pose(annotations: list[np.ndarray], boxes: list[tuple]) -> np.ndarray | None:
    """(K, 2) box fractions typical of the annotated people: the median per joint, so a person
    lying down or upside down among them does not fold everyone's start into a tangle (a mean
    did); NaN where fewer than MIN_PEOPLE labelled the joint."""
    fractions = []
    for kps, (x, y, w, h) in zip(annotations, boxes):
        if w <= 1 or h <= 1:
            continue
        f = np.full((kps.shape[0], 2), np.nan)
        labelled = kps[:, 2] > 0
        f[labelled] = (kps[labelled, :2] - (x, y)) / (w, h)
        fractions.append(f)
    if not fractions:
        return None
    stack = np.stack(fractions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN joints stay NaN
        typical = np.nanmedian(stack, axis=0)
    typical[np.sum(~np.isnan(stack[:, :, 0]), axis=0) < MIN_PEOPLE] = np.nan
    return typical


def mean_pose(joint_names: tuple[str, ...], project_mean: np.ndarray | None = None,
              edges: tuple[tuple[int, int], ...] = ()) -> np.ndarray:
    """(K, 2) box fractions for a new person of this skeleton. ``edges`` (the skeleton's limbs)
    lay out a skeleton mostly known by no name (a fly, a mouse) as a tree, so its joints start
    apart along their limbs instead of stacked down the middle."""
    k = len(joint_names)
    pose = np.full((k, 2), np.nan)
    if project_mean is not None and project_mean.shape == (k, 2):
        pose[:] = project_mean
    named = sum(name in STANDING for name in joint_names)
    if edges and 2 * named < k:  # an animal's "left_ear" is not where a person's is
        unplaced = np.isnan(pose).any(axis=1)
        pose[unplaced] = tree_layout(k, edges)[unplaced]
    for j, name in enumerate(joint_names):
        if np.isnan(pose[j]).any() and name in STANDING:
            pose[j] = STANDING[name]
    missing = np.flatnonzero(np.isnan(pose).any(axis=1))
    for n, j in enumerate(missing):  # joints known by no name: a column down the middle, to drag into place
        pose[j] = (0.5, (n + 0.5) / len(missing))
    return np.clip(pose, 0.0, 1.0)


def tree_layout(k: int, edges: tuple[tuple[int, int], ...], margin: float = 0.05) -> np.ndarray:
    """(K, 2) box fractions: the skeleton's limbs as a tree hanging from joint 0 (SLEAP and
    DeepLabCut skeletons usually start at the head), one row per limb step down the box, each
    joint above the middle of the joints hanging from it, leaves spread evenly across. A joint no
    limb reaches starts a tree of its own beside the others."""
    neighbours: list[list[int]] = [[] for _ in range(k)]
    for a, b in edges:
        if 0 <= a < k and 0 <= b < k and a != b:
            neighbours[a].append(b)
            neighbours[b].append(a)
    children: list[list[int]] = [[] for _ in range(k)]
    depth = np.full(k, -1)
    roots = []
    for root in range(k):  # breadth first, so a joint hangs from its nearest joint to the root
        if depth[root] >= 0:
            continue
        roots.append(root)
        depth[root] = 0
        queue = [root]
        for j in queue:
            for n in sorted(neighbours[j]):
                if depth[n] < 0:
                    depth[n] = depth[j] + 1
                    children[j].append(n)
                    queue.append(n)
    x = np.zeros(k)
    leaves: list[int] = []

    def place(j: int) -> None:  # depth first: leaves get slots left to right, parents their middle
        if not children[j]:
            x[j] = len(leaves)
            leaves.append(j)
            return
        for c in children[j]:
            place(c)
        x[j] = np.mean([x[c] for c in children[j]])

    for root in roots:
        place(root)
    span = 1.0 - 2 * margin
    xs = margin + span * (x + 0.5) / max(len(leaves), 1)
    ys = margin + span * depth / max(int(depth.max()), 1)
    return np.column_stack([xs, ys])
