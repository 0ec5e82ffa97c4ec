"""Face-joint labels (COCO nose, eyes, ears) for the LSP and LSPET people, made once by MediaPipe's
BlazePose Full landmarker, and a measure of their quality on real COCO people (issue #28, item 1).

This script runs in a venv of its own, OUTSIDE the repository (MediaPipe pins numpy < 2 and
brings jax/jaxlib; it must not meet the project's .venv). It does not import poseapp.

Set up (about 260 MB downloaded, about 1 GB on disk, mostly jaxlib, scipy and OpenCV):

    python3 -m venv /work/mpvenv
    /work/mpvenv/bin/pip install mediapipe==0.10.21 scipy numpy

mediapipe 0.10.21 is the last release line whose wheel still holds the legacy
``mediapipe.solutions.pose`` graph WITH its weights (mediapipe/modules/pose_detection/pose_detection.tflite
and mediapipe/modules/pose_landmark/pose_landmark_full.tflite). Releases from 0.10.30 on (1.x too)
ship only the Tasks API and no .tflite/.task file at all, so they would need a model download.
Nothing is downloaded at run time: model_complexity=1 (Full) is the bundled model, and the
script replaces MediaPipe's downloader with one that raises.

Run, from the repository root, on one core:

    OMP_NUM_THREADS=1 taskset -c 0 /work/mpvenv/bin/python scripts/face_labels.py label \\
        --data ../shared/data --out resources/face_labels/lsp_lspet_faces.npz
    OMP_NUM_THREADS=1 taskset -c 0 /work/mpvenv/bin/python scripts/face_labels.py coco \\
        --data ../shared/data --out /tmp/face_labels_coco.json

Procedure, per person (the same for LSP, LSPET and the COCO people used to measure it):
  1. the image (for COCO: the person's box with a 25 % margin) is scaled up to >= 256 px on its
     long side when smaller, and BlazePose Full runs on it (static image mode);
  2. the check: MediaPipe's shoulders and hips (landmarks 11, 12, 23, 24) are compared with the
     labelled ones (those present, at least 2), as a mean distance over the torso size (mean of the
     two shoulder-to-opposite-hip diagonals, or a stand-in when those are not labelled). It is done
     with MediaPipe's left/right as they are and swapped; the better of the two must be <= TORSO_TOL.
     With LSP/LSPET's neck and head top, MediaPipe's nose must also lie within HEAD_TOL x
     max(head length, HEAD_MIN x torso) of the head's centre (this catches the face of a second
     person behind the labelled one). When the swapped fit is better by SWAP_MARGIN, MediaPipe's
     left/right disagree with the labels' (person-centric) ones and the person is rejected too;
  3. if 1-2 found no person or failed the check, a second try: a square crop around the labelled
     body joints, rotated so the labelled torso stands upright, at 256 px; the try that fits the
     labelled torso best is kept;
  4. the 5 face landmarks (0 nose, 2 left eye, 5 right eye, 7 left ear, 8 right ear) are stored
     with a score = MediaPipe's visibility x facing() (MediaPipe's visibility alone stays near 1 for
     the far ear of a profile or the nose of a back view; facing() uses MediaPipe's own depths to
     bring those to 0); a person that failed is stored as NaN (missing), its reason in <set>_status.
     Recommended: use a joint when score >= RECOMMENDED_THRESHOLD (0.5) and it lies in the image.

Coordinates are 0-based pixel indices (the centre of the top-left pixel is 0, 0), the convention
of the datasets' joints.mat as the project reads it; points may lie outside the image (their
scores are then low; a consumer should also drop them).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTEROP_THREADS",
             "TF_NUM_INTRAOP_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

cv2.setNumThreads(1)

FACE_NAMES = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")
MP_FACE = (0, 2, 5, 7, 8)
MP_FACE_SWAP = (0, 5, 2, 8, 7)
MP_TORSO = (11, 12, 23, 24)          # left shoulder, right shoulder, left hip, right hip
MP_TORSO_SWAP = (12, 11, 24, 23)
LSP_TORSO = (9, 8, 3, 2)             # the same four in LSP's 14-joint order
LSP_NECK, LSP_HEAD_TOP = 12, 13
COCO_TORSO = (5, 6, 11, 12)
COCO_FACE = (0, 1, 2, 3, 4)
COCO_SIGMAS = np.array([0.026, 0.025, 0.025, 0.035, 0.035])

TORSO_TOL = 0.35          # accepted when the mean torso-point distance <= this x torso size
HEAD_TOL = 0.75           # nose within this x max(head length (neck..head top), HEAD_MIN x torso) of the head centre
HEAD_MIN = 0.5
SWAP_MARGIN = 0.10        # MediaPipe's left/right disagree with the labels when swapping fits better by this much
MIN_SIDE = 256            # images smaller than this on their long side are scaled up to it
CROP_SIDE = 256
RECOMMENDED_THRESHOLD = 0.5
# facing(): (full, zero) of rel for the eyes and for the ears; the far eye of a turned head stays in
# sight (and labelled in COCO) far longer than the far ear does.
# "away": the nose's depth behind the ears' mid-point over the ear-to-ear distance (head turned away),
# which also hides the eyes.
FACING = {"eye": (0.75, 0.95), "ear": (0.3, 0.7), "away": (0.3, 0.8)}

STATUS = {0: "ok", 1: "no person found", 2: "torso disagrees", 3: "nose off the labelled head",
          4: "too few labelled torso joints to check", 5: "left/right disagree with the labels"}


class Landmarker:
    """BlazePose Full (the bundled weights) through the legacy solution API; never downloads."""

    def __init__(self, min_detection_confidence: float = 0.3):
        import mediapipe as mp
        from mediapipe.python.solutions import download_utils

        def _refuse(model_path: str):
            raise RuntimeError(f"face_labels.py: MediaPipe asked to download {model_path}; refused")

        download_utils.download_oss_model = _refuse
        self.version = mp.__version__
        self.model_file = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
        self._pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, smooth_landmarks=False,
                                            enable_segmentation=False,
                                            min_detection_confidence=min_detection_confidence)
        self.calls = 0

    def run(self, rgb: np.ndarray, to_view: np.ndarray) -> np.ndarray | None:
        """33 x 5 (x, y, z, visibility, presence), x, y in the ORIGINAL image's continuous coordinates
        and z (MediaPipe's depth, camera-ward negative) in the same pixel scale.

        to_view: 2 x 3 affine taking original continuous coordinates to ``rgb``'s."""
        self.calls += 1
        result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            return None
        h, w = rgb.shape[:2]
        pts = np.array([[p.x * w, p.y * h, p.z * w, p.visibility, p.presence]
                        for p in result.pose_landmarks.landmark])
        back = cv2.invertAffineTransform(to_view)
        pts[:, :2] = pts[:, :2] @ back[:, :2].T + back[:, 2]
        pts[:, 2] *= np.sqrt(abs(np.linalg.det(back[:, :2])))
        return pts


def warp(rgb: np.ndarray, to_view: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The view of ``rgb`` under an affine map of continuous coordinates (pixel i spans [i, i+1))."""
    m = to_view.astype(np.float64).copy()
    m[:, 2] += 0.5 * m[:, :2].sum(axis=1) - 0.5     # cv2 maps pixel centres
    return cv2.warpAffine(rgb, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(0, 0, 0))


def whole_view(rgb: np.ndarray, box: np.ndarray | None = None, margin: float = 0.25):
    """The image (or a box of it, with a margin), scaled up to MIN_SIDE on its long side when smaller."""
    h, w = rgb.shape[:2]
    if box is None:
        x0, y0, x1, y1 = 0.0, 0.0, float(w), float(h)
    else:
        bx, by, bw, bh = box
        x0, y0 = max(0.0, bx - margin * bw), max(0.0, by - margin * bh)
        x1, y1 = min(float(w), bx + bw * (1 + margin)), min(float(h), by + bh * (1 + margin))
    f = max(1.0, MIN_SIDE / max(x1 - x0, y1 - y0, 1.0))
    to_view = np.array([[f, 0.0, -f * x0], [0.0, f, -f * y0]])
    size = (max(1, round((x1 - x0) * f)), max(1, round((y1 - y0) * f)))
    return warp(rgb, to_view, size), to_view


def upright_view(rgb: np.ndarray, body: np.ndarray, torso: np.ndarray):
    """A CROP_SIDE square around the labelled body joints (continuous coords, NaN = absent),
    rotated so that the labelled hips-to-shoulders direction points up."""
    pts = body[np.all(np.isfinite(body), axis=1)]
    centre = 0.5 * (pts.min(axis=0) + pts.max(axis=0))
    radius = max(np.linalg.norm(pts - centre, axis=1).max() * 1.3, 8.0)
    angle = 0.0
    shoulders, hips = torso[:2], torso[2:]
    sh, hp = shoulders[np.all(np.isfinite(shoulders), axis=1)], hips[np.all(np.isfinite(hips), axis=1)]
    if len(sh) and len(hp):
        up = sh.mean(axis=0) - hp.mean(axis=0)
        angle = np.arctan2(up[0], -up[1])           # 0 when the torso already points up (image y down)
    c, s = np.cos(angle), np.sin(angle)
    scale = CROP_SIDE / (2 * radius)
    rot = scale * np.array([[c, s], [-s, c]])        # turns ``up`` onto (0, -1)
    to_view = np.hstack([rot, (np.array([CROP_SIDE / 2, CROP_SIDE / 2]) - rot @ centre)[:, None]])
    return warp(rgb, to_view, (CROP_SIDE, CROP_SIDE)), to_view


def torso_size(torso: np.ndarray, neck: np.ndarray | None, head_top: np.ndarray | None) -> float:
    """Mean of the labelled shoulder-to-opposite-hip diagonals; stand-ins when neither is labelled."""
    ok = np.all(np.isfinite(torso), axis=1)
    diag = [np.linalg.norm(torso[a] - torso[b]) for a, b in ((0, 3), (1, 2)) if ok[a] and ok[b]]
    if diag:
        return float(np.mean(diag))
    side = [np.linalg.norm(torso[a] - torso[b]) for a, b in ((0, 2), (1, 3)) if ok[a] and ok[b]]
    if side:                                          # same-side shoulder-hip: diagonal ~ 1.08 x that on LSP
        return 1.08 * float(np.mean(side))
    if neck is not None and head_top is not None and np.all(np.isfinite([*neck, *head_top])):
        return 2.5 * float(np.linalg.norm(neck - head_top))   # diagonal ~ 2.5 head lengths on LSP
    return float("nan")


def check(lm: np.ndarray, torso: np.ndarray, size: float, neck, head_top):
    """(status, torso error, swapped torso error, head error); status 0 = accepted."""
    ok = np.all(np.isfinite(torso), axis=1)
    direct = float(np.mean(np.linalg.norm(lm[list(MP_TORSO), :2][ok] - torso[ok], axis=1)) / size)
    swapped = float(np.mean(np.linalg.norm(lm[list(MP_TORSO_SWAP), :2][ok] - torso[ok], axis=1)) / size)
    head_err = float("nan")
    if neck is not None and head_top is not None and np.all(np.isfinite([*neck, *head_top])):
        length = max(float(np.linalg.norm(neck - head_top)), HEAD_MIN * size, 1.0)
        head_err = float(np.linalg.norm(lm[0, :2] - 0.5 * (neck + head_top)) / length)
    if min(direct, swapped) > TORSO_TOL:
        return 2, direct, swapped, head_err
    if head_err > HEAD_TOL:
        return 3, direct, swapped, head_err
    if swapped + SWAP_MARGIN < direct:
        return 5, direct, swapped, head_err
    return 0, direct, swapped, head_err


def label_person(lmk: Landmarker, rgb: np.ndarray, torso: np.ndarray, body: np.ndarray,
                 neck=None, head_top=None, box=None) -> dict:
    """One person: torso 4 x 2 (l/r shoulder, l/r hip), body K x 2 labelled body joints, all in the
    image's continuous coordinates with NaN for absent ones. Returns face (5 x 3, 0-based x, y and
    score; NaN when missing), status, the torso errors and which view won."""
    out = {"face": np.full((5, 3), np.nan), "visibility": np.full(5, np.nan), "status": 4, "torso_err": np.nan,
           "torso_err_swapped": np.nan, "head_err": np.nan, "view": None, "landmarks": None}
    if np.all(np.isfinite(torso), axis=1).sum() < 2:
        return out
    size = torso_size(torso, neck, head_top)
    if not np.isfinite(size) or size < 2.0:
        return out
    best = None
    for name in ("image", "upright crop"):
        view, to_view = whole_view(rgb, box) if name == "image" else upright_view(rgb, body, torso)
        lm = lmk.run(view, to_view)
        if lm is None:
            continue
        status, direct, swapped, head_err = check(lm, torso, size, neck, head_top)
        rank = (status != 0, min(direct, swapped))
        if best is None or rank < best[0]:
            best = (rank, status, direct, swapped, head_err, name, lm)
        if status == 0:
            break
    if best is None:
        out["status"] = 1
        return out
    _, status, direct, swapped, head_err, name, lm = best
    out.update(status=status, torso_err=direct, torso_err_swapped=swapped, head_err=head_err, view=name,
               landmarks=lm)
    if status == 0:
        face = lm[list(MP_FACE)]
        visibility = np.clip(face[:, 3], 0.0, 1.0)
        out["visibility"] = visibility
        out["face"] = np.column_stack([face[:, 0] - 0.5, face[:, 1] - 0.5, visibility * facing(lm)])
    return out


def facing(lm: np.ndarray) -> np.ndarray:
    """Per face joint, 1 when it faces the camera, falling to 0 when it is hidden by the head itself,
    from MediaPipe's own depths (z, camera-ward negative); MediaPipe's visibility alone stays near 1
    for such joints. Two cues, each 1 up to FACING[kind][0] and 0 from FACING[kind][1]:
      far eye / far ear of a head seen from the side: rel = (z_joint - z_partner) / |joint - partner|
        (3-D), about sin(yaw) for the far one;
      head turned away (nose and both eyes): rel = (z_nose - mean z_ears) / |left ear - right ear|."""
    def ramp(rel: float, kind: str) -> float:
        full, zero = FACING[kind]
        return float(np.clip((zero - rel) / (zero - full), 0.0, 1.0))

    out = np.ones(5)
    for c, (j, k) in enumerate(zip(MP_FACE, MP_FACE_SWAP)):
        if j != k:
            d = float(np.linalg.norm(lm[j, :3] - lm[k, :3]))
            out[c] = ramp((lm[j, 2] - lm[k, 2]) / max(d, 1e-6), "eye" if "eye" in FACE_NAMES[c] else "ear")
    ears = float(np.linalg.norm(lm[7, :3] - lm[8, :3]))
    away = ramp((lm[0, 2] - 0.5 * (lm[7, 2] + lm[8, 2])) / max(ears, 1e-6), "away")
    out[:3] *= away
    return out


def read_rgb(path: str) -> np.ndarray:
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {path}")
    return np.ascontiguousarray(bgr[:, :, ::-1])


# ---------------------------------------------------------------------------------------- LSP / LSPET

def load_lsp(folder: str, variant: str) -> np.ndarray:
    """N x 14 x 3 (x, y, present) with x, y in continuous coordinates, NaN when not labelled."""
    import scipy.io

    raw = np.asarray(scipy.io.loadmat(os.path.join(folder, "joints.mat"))["joints"], dtype=np.float64)
    arr = np.transpose(raw, (2, 1, 0)) if variant == "lsp" else np.transpose(raw, (2, 0, 1))
    out = arr.copy()
    out[:, :, :2] += 0.5
    if variant == "lsp":                   # flag 1 = occluded, still positioned: all are present
        out[:, :, 2] = 1.0
    else:                                  # flag 1 = visible; 0 comes without a position
        absent = arr[:, :, 2] == 0
        out[absent, :2] = np.nan
        out[:, :, 2] = (~absent).astype(float)
    return out


def run_lsp_set(lmk: Landmarker, folder: str, variant: str, limit: int | None, log) -> dict:
    joints = load_lsp(folder, variant)
    n = len(joints)
    digits = 4 if variant == "lsp" else 5
    face = np.full((n, 5, 3), np.nan, dtype=np.float32)
    visibility = np.full((n, 5), np.nan, dtype=np.float16)
    status = np.full(n, 4, dtype=np.uint8)
    views, torso_err, head_err, outside = {}, [], [], 0
    todo = range(n) if limit is None else range(0, n, max(1, n // limit))
    t0 = time.time()
    for k, i in enumerate(todo):
        rgb = read_rgb(os.path.join(folder, "images", f"im{i + 1:0{digits}d}.jpg"))
        j = joints[i]
        res = label_person(lmk, rgb, j[list(LSP_TORSO), :2], j[:, :2], neck=j[LSP_NECK, :2],
                           head_top=j[LSP_HEAD_TOP, :2])
        face[i] = res["face"]
        visibility[i] = res["visibility"]
        status[i] = res["status"]
        if res["status"] == 0:
            views[res["view"]] = views.get(res["view"], 0) + 1
            torso_err.append(min(res["torso_err"], res["torso_err_swapped"]))
            head_err.append(res["head_err"])
            h, w = rgb.shape[:2]
            f = res["face"]
            outside += int(np.sum((f[:, 2] >= RECOMMENDED_THRESHOLD)
                                  & ((f[:, 0] < -0.5) | (f[:, 1] < -0.5) | (f[:, 0] > w - 0.5) | (f[:, 1] > h - 0.5))))
        if (k + 1) % 500 == 0:
            log(f"{variant}: {k + 1}/{len(todo)} people, {(time.time() - t0) / (k + 1):.3f} s each")
    done = np.zeros(n, dtype=bool)
    done[list(todo)] = True
    kept = status[done] == 0
    scores = face[done][kept][:, :, 2]
    summary = {
        "people": int(done.sum()),
        "kept": int(kept.sum()),
        "rejected": {STATUS[s]: int(np.sum(status[done] == s)) for s in (1, 2, 3, 4, 5)},
        "kept_by_view": views,
        "left_right": {"torso and head fit (kept + l/r rejected)": int(np.sum(np.isin(status[done], (0, 5)))),
                       "mediapipe l/r swapped vs labels": int(np.sum(status[done] == 5))},
        "median_torso_err_kept": float(np.median(torso_err)) if torso_err else None,
        "median_head_err_kept": float(np.nanmedian(head_err)) if head_err else None,
        f"joints_with_score_ge_{RECOMMENDED_THRESHOLD}": {
            name: int(np.sum(scores[:, c] >= RECOMMENDED_THRESHOLD)) for c, name in enumerate(FACE_NAMES)},
        f"points_score_ge_{RECOMMENDED_THRESHOLD}_outside_image": outside,
        "seconds_per_person": (time.time() - t0) / max(1, len(todo)),
    }
    return {"face": face, "visibility": visibility, "status": status, "summary": summary}


def cmd_label(args) -> None:
    lmk = Landmarker(args.min_detection_confidence)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.time()
    sets = {}
    for variant, sub in (("lsp", "lsp_train"), ("lspet", "lspet")):
        sets[variant] = run_lsp_set(lmk, os.path.join(args.data, sub), variant, args.limit, log)
        log(json.dumps({variant: sets[variant]["summary"]}, indent=1))
    meta = {
        "what": "COCO face joints for the LSP (lsp_train) and LSPET people, by MediaPipe BlazePose Full",
        "joints": list(FACE_NAMES),
        "layout": "N x 5 x (x, y, score); row i = image im{i+1:04d} (LSP) / im{i+1:05d} (LSPET); x, y 0-based "
                  "pixel indices like joints.mat; NaN x, y = missing (no person found, or the check failed)",
        "score": "MediaPipe's landmark visibility x a facing factor from MediaPipe's depths (0 for the far eye "
                 "or ear of a head seen side-on); the visibility alone is in <set>_visibility",
        "recommended_threshold": RECOMMENDED_THRESHOLD,
        "recommended_use": "keep a joint when score >= threshold and x, y lie inside the image",
        "mediapipe_version": lmk.version,
        "model": f"BlazePose Full, legacy mediapipe.solutions.pose (static_image_mode, model_complexity=1), "
                 f"{lmk.model_file} shipped in the wheel",
        "check": {"torso_tol": TORSO_TOL, "head_tol": HEAD_TOL, "head_min": HEAD_MIN, "swap_margin": SWAP_MARGIN,
                  "facing": FACING,
                  "min_detection_confidence": args.min_detection_confidence, "min_side": MIN_SIDE},
        "status_codes": STATUS,
        "counts": {v: s["summary"] for v, s in sets.items()},
        "seconds": round(time.time() - t0, 1),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez_compressed(
        args.out,
        lsp=sets["lsp"]["face"], lspet=sets["lspet"]["face"],
        lsp_status=sets["lsp"]["status"], lspet_status=sets["lspet"]["status"],
        lsp_visibility=sets["lsp"]["visibility"], lspet_visibility=sets["lspet"]["visibility"],
        joints=np.array(FACE_NAMES), meta=np.array(json.dumps(meta)),
    )
    log(f"wrote {args.out} ({os.path.getsize(args.out)} bytes) in {time.time() - t0:.0f} s, "
        f"{lmk.calls} landmarker runs")


# ---------------------------------------------------------------------------------------- COCO quality

def coco_people(data: str):
    """(image path, annotation) for each COCO person with keypoints, from both COCO files."""
    for sub, name in (("coco_mini_train", "person_keypoints_train2017.json"), ("coco_sample", "test_coco.json")):
        with open(os.path.join(data, sub, name), encoding="utf-8") as fh:
            doc = json.load(fh)
        images = {im["id"]: im for im in doc["images"]}
        for ann in doc["annotations"]:
            if ann.get("iscrowd", 0) or ann.get("num_keypoints", 0) == 0:
                continue
            file_name = images[ann["image_id"]]["file_name"]
            path = os.path.join(data, sub, "images", file_name)
            if not os.path.isfile(path):
                path = os.path.join(data, sub, file_name)
            yield sub, path, ann


def cmd_coco(args) -> None:
    lmk = Landmarker(args.min_detection_confidence)
    rows = []
    cache = {}
    for sub, path, ann in coco_people(args.data):
        if path not in cache:
            cache = {path: read_rgb(path)}
        rgb = cache[path]
        kp = np.asarray(ann["keypoints"], dtype=np.float64).reshape(17, 3)
        xy = np.where(kp[:, 2:3] > 0, kp[:, :2] + 0.5, np.nan)        # continuous coordinates
        res = label_person(lmk, rgb, xy[list(COCO_TORSO)], xy[5:], box=np.asarray(ann["bbox"], dtype=float))
        rows.append({"set": sub, "id": ann["id"], "bbox": ann["bbox"], "area": ann["area"],
                     "gt": kp[:5].tolist(), "face": res["face"].tolist(),
                     "visibility": res["visibility"].tolist(), "status": res["status"],
                     "torso_err": res["torso_err"], "torso_err_swapped": res["torso_err_swapped"],
                     "view": res["view"],
                     "landmarks": None if res["landmarks"] is None else res["landmarks"][:13].tolist()})
    groups = {
        "all people with keypoints": rows,
        "checkable (>= 2 labelled torso joints and a torso size)": [r for r in rows if r["status"] != 4],
        "box height >= 100 px": [r for r in rows if r["bbox"][3] >= 100],
    }
    report = {"people": len(rows), "status": {STATUS[s]: sum(r["status"] == s for r in rows) for s in STATUS},
              "groups": {}}
    for name, group in groups.items():
        report["groups"][name] = {"people": len(group), "kept": sum(r["status"] == 0 for r in group),
                                  "thresholds": {str(t): coco_quality(group, t) for t in args.thresholds}}
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump({"report": report, "rows": rows}, fh, indent=1, default=float)
    print(json.dumps(report, indent=1))


def coco_quality(rows: list[dict], thr: float) -> dict:
    out = {}
    for c, name in enumerate(FACE_NAMES):
        labelled = produced = good = false_labels = unlabelled = 0
        errs = []
        for r in rows:
            gt = np.asarray(r["gt"])[c]
            f = np.asarray(r["face"], dtype=float)[c]
            has = bool(np.isfinite(f[0]) and f[2] >= thr)
            if gt[2] > 0:
                labelled += 1
                if has:
                    produced += 1
                    d2 = float(np.sum((f[:2] - gt[:2]) ** 2))
                    s2 = max(float(r["area"]), 1.0)
                    oks = np.exp(-d2 / (2 * s2 * (2 * COCO_SIGMAS[c]) ** 2))
                    good += int(oks >= 0.5)
                    errs.append(np.sqrt(d2) / np.sqrt(r["bbox"][2] * r["bbox"][3]))
            else:
                unlabelled += 1
                false_labels += int(has)
        out[name] = {"gt_labelled": labelled, "produced": produced,
                     "produced_rate": produced / labelled if labelled else None,
                     "oks_ge_0.5_of_produced": good / produced if produced else None,
                     "oks_ge_0.5_of_labelled": good / labelled if labelled else None,
                     "median_err_over_sqrt_box_area": float(np.median(errs)) if errs else None,
                     "gt_unlabelled": unlabelled, "produced_where_gt_unlabelled": false_labels}
    for pair, (a, b) in (("eyes", (1, 2)), ("ears", (3, 4))):
        both = swaps = 0
        for r in rows:
            gt = np.asarray(r["gt"])
            f = np.asarray(r["face"], dtype=float)
            if gt[a, 2] > 0 and gt[b, 2] > 0 and np.all(np.isfinite(f[[a, b], 0])) and min(f[a, 2], f[b, 2]) >= thr:
                both += 1
                direct = np.linalg.norm(f[a, :2] - gt[a, :2]) + np.linalg.norm(f[b, :2] - gt[b, :2])
                crossed = np.linalg.norm(f[a, :2] - gt[b, :2]) + np.linalg.norm(f[b, :2] - gt[a, :2])
                swaps += int(crossed < direct)
        out[f"{pair}_lr_swap"] = {"pairs": both, "swapped": swaps, "rate": swaps / both if both else None}
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("label", help="label the LSP and LSPET people")
    p.add_argument("--data", default="../shared/data")
    p.add_argument("--out", default="resources/face_labels/lsp_lspet_faces.npz")
    p.add_argument("--limit", type=int, default=None, help="only about this many people of each set (a quick look)")
    p.add_argument("--min-detection-confidence", type=float, default=0.3)
    p.set_defaults(func=cmd_label)
    q = sub.add_parser("coco", help="measure the procedure on the COCO people with keypoints")
    q.add_argument("--data", default="../shared/data")
    q.add_argument("--out", default="face_labels_coco.json")
    q.add_argument("--thresholds", type=float, nargs="+", default=[0.0, 0.3, 0.5, 0.7, 0.9])
    q.add_argument("--min-detection-confidence", type=float, default=0.3)
    q.set_defaults(func=cmd_coco)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
