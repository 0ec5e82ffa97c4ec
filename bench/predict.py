"""Prediction speed as a user meets it (issue #14), printed beside the issue's reference figures.

    .venv/bin/python bench/predict.py [--images 60] [--video-frames 160]

1. ``poseapp predict --boxes whole`` on LSP validation images: ms per image with the CPU idle and
   with one core kept busy by another program, for torch's default threads (all cores), one
   thread, and poseapp's adaptive choice (engine/threads.py).
2. The pedestrian video: ms per frame and people per frame, detecting every frame (the reference
   for "the same people found") and with the tracker (detector every DETECT_EVERY frames), and
   the share of the reference's people the tracker found in the same frames.
3. bf16 autocast and channels_last for the model's forward pass: ms per crop, and how far the
   decoded keypoints move from fp32's.
Run it on a quiet machine: anything else running is "a busy core" already.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from poseapp.engine import predictor as predictor_module  # noqa: E402
from poseapp.engine import tracking  # noqa: E402
from poseapp.engine.inference import predict_source  # noqa: E402
from poseapp.engine.predictor import Predictor  # noqa: E402
from poseapp.engine.threads import CorePolicy  # noqa: E402
from poseapp.engine.zoo import resolve_model  # noqa: E402

DATA = REPO.parent / "shared" / "data"
ISSUE = {  # the figures issue #14 measured, for comparison
    "images idle": "30-40 ms (BlazePose Full 36-42)",
    "images busy": "29.5 -> 115.6 ms (OMP_NUM_THREADS=1: 47)",
    "video": "163-176 ms/frame idle, 366 busy; target <= ~100",
}


class BusyCore:
    """Another program keeping one core busy for as long as the block lasts."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def lsp_folder(count: int) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="poseapp-bench-"))
    for n in range(801, 801 + count):
        shutil.copy(DATA / "lsp_train" / "images" / f"im{n:04d}.jpg", folder)
    return folder


def images_ms(predictor: Predictor, folder: Path, threads: str) -> float:
    predictor.adapt_threads = threads == "adaptive"
    if threads != "adaptive":
        torch.set_num_threads(int(threads))
    predictor_module.INFERENCE_CORES = CorePolicy()
    predict_source(predictor, folder, boxes="whole", max_frames=3)  # warm-up
    _, summary = predict_source(predictor, folder, boxes="whole")
    return summary["ms_per_frame"]


def bench_images(predictor: Predictor, count: int) -> None:
    folder = lsp_folder(count)
    cores = CorePolicy().cores
    print(f"\n1. predict --boxes whole, {count} LSP images (ms per image; issue: idle {ISSUE['images idle']}, "
          f"busy {ISSUE['images busy']})")
    print(f"{'threads':>10s} {'idle':>8s} {'one core busy':>14s} {'ratio':>6s}")
    for threads in (str(cores), "1", "adaptive"):
        idle = images_ms(predictor, folder, threads)
        with BusyCore():
            busy = images_ms(predictor, folder, threads)
        print(f"{threads:>10s} {idle:8.1f} {busy:14.1f} {busy / idle:6.2f}")
    shutil.rmtree(folder)
    predictor.adapt_threads = True


def _people(results: list[dict]) -> dict[int, list[tuple]]:
    frames: dict[int, list[tuple]] = {}
    for r in results:
        frames.setdefault(r["frame"], []).append(tuple(r["bbox"]))
    return frames


def _same_person(a: tuple, b: tuple) -> bool:
    """Boxes on one person: centres closer than half the taller box's height. (Overlap alone is
    unfair here: a followed box is the pose's extent, a detection HOG's 1:2 window.)"""
    ca = np.array([a[0] + a[2] / 2, a[1] + a[3] / 2])
    cb = np.array([b[0] + b[2] / 2, b[1] + b[3] / 2])
    return float(np.linalg.norm(ca - cb)) < 0.5 * max(a[3], b[3])


def _found(reference: dict[int, list[tuple]], people: dict[int, list[tuple]]) -> float:
    hits = sum(1 for f, boxes in reference.items() for b in boxes if any(_same_person(b, o) for o in people.get(f, [])))
    return hits / max(1, sum(len(b) for b in reference.values()))


def detector_only(predictor: Predictor, video: Path, frames: int) -> tuple[dict[int, list[tuple]], dict]:
    """The reference: HOG on every frame and nothing else (poseapp's behaviour before tracking)."""
    from poseapp.engine.detector import HogPersonDetector, detector_upscale
    from poseapp.engine.inference import iter_inputs

    detector = HogPersonDetector(upscale=detector_upscale(True))
    people: dict[int, list[tuple]] = {}
    start, count = time.perf_counter(), 0
    for item in iter_inputs(video, frames):
        boxes = [box for box, _ in detector.detect(item.image)]
        people[item.frame] = [p.box for p in predictor.predict(item.image, boxes)]
        count += len(boxes)
    return people, {"ms_per_frame": 1000 * (time.perf_counter() - start) / frames, "people": count, "frames": frames}


def bench_video(predictor: Predictor, frames: int) -> None:
    video = DATA / "video" / "vtest.avi"
    print(f"\n2. vtest.avi, first {frames} frames (issue: {ISSUE['video']})")
    print(f"{'boxes':>22s} {'ms/frame':>9s} {'busy ms/frame':>14s} {'people/frame':>13s} "
          f"{'ref found':>10s} {'also ref':>9s}")
    reference, summary = detector_only(predictor, video, frames)
    with BusyCore():
        _, busy = detector_only(predictor, video, frames)
    print(f"{'HOG every frame (ref)':>22s} {summary['ms_per_frame']:9.1f} {busy['ms_per_frame']:14.1f} "
          f"{summary['people'] / frames:13.2f} {100.0:9.1f}% {100.0:8.1f}%")
    for every in sorted({4, 8, tracking.DETECT_EVERY}):
        results, summary = predict_source(predictor, video, max_frames=frames, detect_every=every)
        with BusyCore():
            _, busy = predict_source(predictor, video, max_frames=frames, detect_every=every)
        people = _people(results)
        # 'ref found': the reference's people this run also has; 'also ref': this run's people the
        # reference has too (the rest are people followed on frames where HOG missed them, or strays).
        label = f"tracked, HOG every {every}"
        print(f"{label:>22s} {summary['ms_per_frame']:9.1f} {busy['ms_per_frame']:14.1f} "
              f"{summary['people'] / summary['frames']:13.2f} {100 * _found(reference, people):9.1f}% "
              f"{100 * _found(people, reference):8.1f}%")


def bench_precision(predictor: Predictor, count: int) -> None:
    from poseapp.engine.decoding import decode_output
    from poseapp.media.crops import box_to_crop, warp
    from poseapp.media.images import read_image
    from poseapp.models import normalise_images

    model = predictor.model
    size = model.config.input_size
    crops = []
    for n in range(801, 801 + count):
        image = read_image(DATA / "lsp_train" / "images" / f"im{n:04d}.jpg")
        crops.append(warp(image, box_to_crop((0, 0, image.shape[1], image.shape[0]), size)))
    x = normalise_images(torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous())
    codec = model.codec()
    print(f"\n3. forward + decode of {count} crops, one at a time, {torch.get_num_threads()} threads")
    print(f"{'variant':>22s} {'ms/crop':>8s} {'max shift px':>13s} {'mean shift px':>14s}")
    reference = None
    for name, autocast, channels_last in (("fp32", False, False), ("fp32 channels_last", False, True),
                                          ("bf16 autocast", True, False), ("bf16 + channels_last", True, True)):
        m = model.to(memory_format=torch.channels_last) if channels_last else model.to(memory_format=torch.contiguous_format)
        coords_all = []
        with torch.no_grad():
            for i in range(2):  # warm-up
                m(x[i:i + 1])
            start = time.perf_counter()
            for i in range(count):
                xi = x[i:i + 1].to(memory_format=torch.channels_last) if channels_last else x[i:i + 1]
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                    out = m(xi)
                coords, _ = decode_output(model, out.float(), codec)
                coords_all.append(coords[0, -1])
            ms = 1000 * (time.perf_counter() - start) / count
        coords_all = np.stack(coords_all)
        if reference is None:
            reference = coords_all
        shift = np.linalg.norm(coords_all - reference, axis=-1)
        print(f"{name:>22s} {ms:8.2f} {shift.max():13.3f} {shift.mean():14.4f}")
    model.to(memory_format=torch.contiguous_format)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--video-frames", type=int, default=160)
    parser.add_argument("--skip", nargs="*", default=[], choices=["images", "video", "precision"])
    args = parser.parse_args()
    predictor = Predictor.from_path(resolve_model(args.model))
    print(f"model {predictor.model_id}, torch {torch.__version__}, {CorePolicy().cores} cores")
    if "images" not in args.skip:
        bench_images(predictor, args.images)
    if "video" not in args.skip:
        bench_video(predictor, args.video_frames)
    if "precision" not in args.skip:
        bench_precision(predictor, min(args.images, 40))


if __name__ == "__main__":
    main()
