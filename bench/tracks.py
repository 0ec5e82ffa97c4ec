"""How well the tracker keeps one id per walker on the pedestrian video (no ground-truth tracks
here, so these are proxies a user would notice):

    .venv/bin/python bench/tracks.py [--frames 300] [--lost-frames N] [--boxes hog|detector]

- ids: distinct track ids; frames per id: how long an id lives on average (longer is better);
- restarts: new ids that appear within half a box height of where another id was last seen in the
  previous LOST_FRAMES frames: most are one walker renamed (a fragment), which the user sees as the
  "#id" label changing on the same person;
- people/frame, ms/frame: what the run found and what it cost.
``--lost-frames 0`` measures the tracker without lost tracks lending their ids (the behaviour
before), on the same frames with the same model.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from poseapp.engine import tracking  # noqa: E402
from poseapp.engine.inference import predict_source  # noqa: E402
from poseapp.engine.predictor import Predictor  # noqa: E402
from poseapp.engine.zoo import resolve_model  # noqa: E402

VIDEO = REPO.parent / "shared" / "data" / "video" / "vtest.avi"


def fragments(records: list[dict], window: int) -> dict[str, float]:
    seen: dict[int, list[tuple[int, np.ndarray, float]]] = defaultdict(list)  # id -> [(frame, centre, height)]
    for r in records:
        x, y, w, h = r["bbox"]
        seen[r["track_id"]].append((r["frame"], np.array([x + w / 2, y + h / 2]), h))
    restarts = 0
    for tid, track in seen.items():
        first_frame, centre, height = track[0]
        for other, other_track in seen.items():
            if other == tid:
                continue
            last_frame, last_centre, last_height = other_track[-1]
            if 0 < first_frame - last_frame <= window and \
                    np.linalg.norm(centre - last_centre) < tracking.MATCH_DISTANCE * max(height, last_height):
                restarts += 1
                break
    lengths = [len(t) for t in seen.values()]
    return {"ids": len(seen), "frames_per_id": float(np.mean(lengths)) if lengths else 0.0, "restarts": restarts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--lost-frames", type=int, default=tracking.LOST_FRAMES)
    parser.add_argument("--model", default="default")
    parser.add_argument("--boxes", default="hog", help="hog, detector (poseapp's trained person detector) or whole")
    parser.add_argument("--detector-weights", help="with --boxes detector: another detector folder (a run's, to "
                                                   "compare with the shipped models/person-detector before shipping it)")
    parser.add_argument("--new-track-score", type=float, help="a detection starts a walker only at this score")
    parser.add_argument("--no-weak", action="store_true",
                        help="detections below the threshold do not continue the tracks near them (before session 13)")
    args = parser.parse_args()
    tracking.NEW_TRACK_SCORE = args.new_track_score
    tracking.WEAK_CONTINUES = not args.no_weak
    if args.detector_weights:
        from poseapp.detection import weights

        weights.load(args.detector_weights)  # a folder that is no detector is refused here, named
        weights.SHIPPED = Path(args.detector_weights)  # what the app's detector loads when given no weights
    window = tracking.LOST_FRAMES  # the same proxy window for both settings
    tracking.LOST_FRAMES = args.lost_frames
    predictor = Predictor.from_path(resolve_model(args.model))
    records, summary = predict_source(predictor, VIDEO, max_frames=args.frames, boxes=args.boxes)
    found = fragments(records, window)
    print(f"vtest.avi, first {summary['frames']} frames, {Path(resolve_model(args.model)).name}, {args.boxes}"
          f"{' (' + args.detector_weights + ')' if args.detector_weights else ''} every "
          f"{tracking.DETECT_EVERY}, lost tracks lend their id for {args.lost_frames} frames")
    print(f"ids {found['ids']}, frames per id {found['frames_per_id']:.1f}, restarts {found['restarts']}, "
          f"people/frame {summary['people'] / max(summary['frames'], 1):.2f}, ms/frame {summary['ms_per_frame']:.1f}")


if __name__ == "__main__":
    main()
