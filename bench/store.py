"""Project store figures: open a 100,000-frame project, step frames, read and edit instances.

Targets (issue 2): opening a 100,000-frame project under 1 s; moving to another frame does not
scan the project (the per-step cost must not grow with project size: compare 1k vs 100k).
Run: .venv/bin/python bench/store.py [--frames N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from poseapp.core.skeleton import COCO17  # noqa: E402
from poseapp.store import Instance, Project  # noqa: E402


def build(path: Path, frames: int) -> None:
    rng = np.random.default_rng(0)
    with Project.open(path, create=True) as p:
        p.ensure_skeleton(COCO17)
        with p.transaction():
            video = p.add_source("video", path.parent / "clip.mp4", {"fps": 25})
            ids = p.add_frames(video.id, [(i, None, 1920, 1080, None, {}) for i in range(frames // 2)])
            folder = p.add_source("folder", path.parent / "images")
            ids += p.add_frames(folder.id, [(i, f"img{i:06d}.jpg", 640, 480, None, {}) for i in range(frames - frames // 2)])
            for fid in ids[:: 10]:  # every tenth frame holds two people
                for _ in range(2):
                    kps = np.column_stack([rng.uniform(0, 640, 17), rng.uniform(0, 480, 17), np.full(17, 2.0)])
                    p.add_instance(Instance(fid, "coco17", kps, bbox=(10, 10, 100, 200)), frame_state="labelled")


def ms(samples: list[float]) -> str:
    return f"median {1000 * statistics.median(samples):.3f} ms, max {1000 * max(samples):.3f} ms"


def measure(frames: int) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.poseapp"
        t0 = time.perf_counter()
        build(path, frames)
        build_s = time.perf_counter() - t0

        opens = []
        for _ in range(5):
            t0 = time.perf_counter()
            p = Project.open(path)
            count = p.frame_count()
            p.first_frame()  # part of what opening costs the window
            opens.append(time.perf_counter() - t0)
            p.close()
        p = Project.open(path)
        steps, reads, edits = [], [], []
        frame = p.first_frame()
        hops = min(1000, frames - 1)
        for i in range(2 * hops):
            t0 = time.perf_counter()
            frame = p.step_frame(frame.id, 1 if i < hops else -1)
            steps.append(time.perf_counter() - t0)
        middle = p.frame_ids()[frames // 2 - 1 : frames // 2 + 1]  # across the source boundary
        for fid in (p.frame_ids()[::max(1, frames // 500)]):
            t0 = time.perf_counter()
            p.frame(fid)
            p.instances(fid)
            reads.append(time.perf_counter() - t0)
        inst = next(p.iter_instances())
        for i in range(200):
            t0 = time.perf_counter()
            p.set_keypoint(inst.id, i % 17, float(i), float(i), v=2)
            edits.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ids = p.frame_ids()
        list_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        boundary = p.step_frame(middle[0], 1)
        cross_s = time.perf_counter() - t0
        assert boundary.id == middle[1]
        p.close()
        return {
            "frames": f"{count} ({len(ids)} listed)",
            "build (one transaction)": f"{build_s:.2f} s",
            "open + count + first frame": ms(opens),
            "step to next/previous frame": ms(steps),
            "step across a source boundary": f"{1000 * cross_s:.3f} ms",
            "read frame + its instances": ms(reads),
            "edit one keypoint (committed, fsync)": ms(edits),
            "list all frame ids (browser)": f"{1000 * list_s:.1f} ms",
            "file size": f"{path.stat().st_size / 1e6:.1f} MB",
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=100_000)
    args = parser.parse_args()
    for n in sorted({1000, args.frames}):
        print(f"--- project with {n:,} frames")
        for key, value in measure(n).items():
            print(f"{key:40s} {value}")


if __name__ == "__main__":
    main()
