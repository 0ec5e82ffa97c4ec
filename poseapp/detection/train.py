"""Train the person detector: one CPU thread by default, a checkpoint every few minutes and on
SIGTERM/SIGINT (the step in hand finishes, the state is saved, exit code 3), exact resume, and
JSON lines of progress with an ETA.

    python -m poseapp.detection.train --config configs/person-detector-long.json --out ../runs/person-detector-long

Resuming is bit-exact because every random choice is a function of (seed, step, sample): scene k
of step s is made from numpy's Generator seeded with [seed, s, k]; the learning rate is a function
of the step; the state holds the weights, the EMA, AdamW's moments and torch's RNG state.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from poseapp.core.errors import DataError, PoseAppError
from poseapp.core.typed_fields import check_field_types
from poseapp.detection.held_out import held_out_specs

STATE = "train_state.pt"
EXIT_STOPPED = 3
DATA = "../shared/data"
# options a resumed run may change: they steer this process, not what it learns
RESUMABLE = frozenset({"checkpoint_minutes", "max_minutes", "log_every", "threads"})


@dataclass(frozen=True)
class DetectorTrainConfig:
    task: str = "person-detector"  # how scripts/long_run.sh tells a detector config from a pose one
    model: dict[str, Any] = field(default_factory=dict)  # DetectorConfig options
    data: tuple[str, ...] = (f"lsp:{DATA}/lsp_train", f"lspet:{DATA}/lspet",
                             f"coco:{DATA}/coco_mini_train/person_keypoints_train2017.json")
    # held-out photos: each spec's validation part (photo_split, LSP im0801-im1000, coco_sample whole)
    val: tuple[str, ...] = held_out_specs(DATA)["coco_held_out"]
    scenes: dict[str, Any] = field(default_factory=dict)  # SceneOptions
    steps: int = 20000
    steps_per_epoch: int = 500  # scenes are endless: an "epoch" is this many steps, then validation
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 300
    ema_decay: float = 0.999
    seed: int = 0
    threads: int = 1
    checkpoint_minutes: float = 10.0
    max_minutes: float | None = None
    log_every: int = 20
    heatmap_loss: str = "centernet"  # or "quality" (model.LossWeights)
    val_threshold: float = 0.3  # the detector's default score threshold: the figures the card reports
    max_photos: int | None = None  # cap on training photos per spec (tests)
    # a detector folder (weights.safetensors + detector.json) to start from instead of random weights
    init_from: str | None = None
    # LSP/LSPET photos label one person; the others in them (hurdlers beside the one labelled,
    # spectators) were negatives. This file (scripts/unlabelled_people.py) names boxes where a
    # detector saw a person nobody labelled: ignore regions, so they are no longer "not a person".
    unlabelled_people: str | None = None

    def __post_init__(self):
        check_field_types(self)
        if self.task != "person-detector":
            raise ValueError("task must be 'person-detector'")
        for name in ("steps", "steps_per_epoch", "batch_size", "threads", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not 0 < self.lr < 1 or self.weight_decay < 0 or self.warmup_steps < 0:
            raise ValueError("lr must lie in (0, 1), weight_decay and warmup_steps at least 0")
        if not 0 <= self.ema_decay < 1:
            raise ValueError("ema_decay must lie in [0, 1)")
        if self.checkpoint_minutes <= 0 or (self.max_minutes is not None and self.max_minutes <= 0):
            raise ValueError("checkpoint_minutes and max_minutes must be positive")
        if not self.data:
            raise ValueError("data names no training data (lsp:DIR, lspet:DIR, coco:FILE)")
        from poseapp.detection.model import LossWeights

        LossWeights(heatmap_loss=self.heatmap_loss)
        from poseapp.detection.model import DetectorConfig
        from poseapp.detection.scenes import SceneOptions

        DetectorConfig.from_dict(self.model)  # refuse a bad option now, by name
        _scene_options(self.scenes)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def identity(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_dict().items() if k not in RESUMABLE}

    @classmethod
    def from_file(cls, path: str | os.PathLike, **overrides: Any) -> "DetectorTrainConfig":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DataError(path, f"not a readable JSON config ({exc})") from None
        data.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise DataError(path, f"unknown option(s) {sorted(unknown)}")
        try:
            return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
        except (TypeError, ValueError) as exc:
            raise DataError(path, str(exc)) from None


def _scene_options(overrides: dict[str, Any]):
    from poseapp.detection.scenes import SceneOptions

    unknown = set(overrides) - {f.name for f in dataclasses.fields(SceneOptions)}
    if unknown:
        raise ValueError(f"unknown scene option(s) {sorted(unknown)}")
    return SceneOptions(**overrides)


def gaussian_radius(h: float, w: float, min_overlap: float = 0.7) -> float:
    """CenterNet's radius: a box whose corners move by it still overlaps the true one by min_overlap."""
    a1, b1, c1 = 1, h + w, w * h * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1**2 - 4 * a1 * c1)) / 2
    a2, b2, c2 = 4, 2 * (h + w), (1 - min_overlap) * w * h
    r2 = (b2 + math.sqrt(b2**2 - 4 * a2 * c2)) / 2
    a3, b3, c3 = 4 * min_overlap, -2 * min_overlap * (h + w), (min_overlap - 1) * w * h
    r3 = (b3 + math.sqrt(b3**2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


# TTFNet (Liu et al., 2019) trains CenterNet several times faster by giving each person an
# elliptical Gaussian as wide and tall as its box (alpha) and regressing its box from every cell of
# that Gaussian, not from the centre cell alone: a 20-minute CPU trial of the centre-cell-only
# recipe found nobody (bench/RESULTS.md, issue #27).
ALPHA = 0.54  # Gaussian sigma = ALPHA * box side / 6
REGRESS_FROM = 0.3  # cells whose Gaussian value is at least this regress the box (besides the centre)


def encode_targets(boxes: np.ndarray, ignore: np.ndarray, size: int, stride: int) -> dict[str, np.ndarray]:
    """Heatmap (1 x S x S), log size (2 x S x S), offset from each cell to the centre (2 x S x S),
    regression weights (S x S; each person's sum to 1) and ignore mask (1 x S x S), S = size / stride."""
    s = size // stride
    heat = np.zeros((s, s), np.float32)
    wh = np.zeros((2, s, s), np.float32)
    off = np.zeros((2, s, s), np.float32)
    weight = np.zeros((s, s), np.float32)
    ign = np.zeros((s, s), np.float32)
    for x, y, w, h in ignore:
        x0, y0 = int(max(0, x // stride)), int(max(0, y // stride))
        x1, y1 = int(min(s, math.ceil((x + w) / stride))), int(min(s, math.ceil((y + h) / stride)))
        ign[y0:y1, x0:x1] = 1.0
    ys, xs = np.mgrid[0:s, 0:s].astype(np.float32)
    # large people first: a smaller person (often in front, or far behind) keeps its own cells
    for x, y, w, h in sorted(boxes.tolist(), key=lambda b: -b[2] * b[3]):
        cx, cy = (x + w / 2) / stride, (y + h / 2) / stride
        ix, iy = min(s - 1, max(0, int(cx))), min(s - 1, max(0, int(cy)))
        sx, sy = max(0.4, ALPHA * w / stride / 6), max(0.4, ALPHA * h / stride / 6)
        g = np.exp(-((xs - ix) ** 2 / (2 * sx**2) + (ys - iy) ** 2 / (2 * sy**2)))
        np.maximum(heat, g, out=heat)
        heat[iy, ix] = 1.0
        region = g >= REGRESS_FROM
        region[iy, ix] = True
        wgt = np.where(region, g, 0.0)
        wgt /= wgt.sum()
        weight[region] = wgt[region]
        wh[0][region], wh[1][region] = math.log(max(w, 1.0) / stride), math.log(max(h, 1.0) / stride)
        off[0][region], off[1][region] = cx - xs[region], cy - ys[region]
    return {"heatmap": heat[None], "size": wh, "offset": off, "mask": weight, "ignore": ign[None]}


class Progress:
    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def __call__(self, event: str, **fields: Any) -> None:
        self.stream.write(json.dumps({"event": event, "time": round(time.time(), 3), **fields}, default=float) + "\n")
        self.stream.flush()


class DetectorTrainer:
    def __init__(self, config: DetectorTrainConfig, out: str | os.PathLike, progress: Progress | None = None):
        self.config = config
        self.out = Path(out)
        self.progress = progress or Progress()
        self._stop = False
        self.parent: dict[str, Any] | None = None

    # ------------------------------------------------------------ set-up
    def _setup(self) -> None:
        import torch

        from poseapp.detection.model import DetectorConfig, PersonCenterNet
        from poseapp.detection.scenes import SceneMaker, add_unlabelled_people, load_spec
        from poseapp.engine.ema import ModelEMA

        cfg = self.config
        t0 = time.time()
        photos = []
        for spec in cfg.data:
            got = load_spec(spec, "train")
            photos += got[: cfg.max_photos] if cfg.max_photos else got
        self.val_sets = {spec: load_spec(spec, "val") for spec in cfg.val}
        held = {p.path for v in self.val_sets.values() for p in v}
        leak = [p.path for p in photos if p.path in held]
        if leak:  # the split functions make this impossible; a config that names odd data must not slip
            raise PoseAppError(f"{len(leak)} validation photos are in the training data, e.g. {leak[0]}")
        if cfg.unlabelled_people:
            add_unlabelled_people(photos, cfg.unlabelled_people)
        self.photos = photos
        self.scene_options = _scene_options({"size": 256, **cfg.scenes})
        self.scenes = SceneMaker(photos, self.scene_options)
        self._load_s = time.time() - t0
        torch.manual_seed(cfg.seed)
        self.model = PersonCenterNet(DetectorConfig.from_dict(cfg.model))
        if cfg.init_from:
            self._init_from(cfg.init_from)
        self.ema = ModelEMA(self.model, cfg.ema_decay) if cfg.ema_decay > 0 else None
        decay, no_decay = [], []
        for name, p in self.model.named_parameters():
            (no_decay if p.dim() == 1 else decay).append(p)  # no weight decay on biases and batch norm
        self.optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                            {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr)
        self.step, self.history, self.train_seconds, self.resumes = 0, [], 0.0, 0

    def _init_from(self, folder: str) -> None:
        """Start from a trained detector's (EMA) weights; its architecture must be this config's."""
        from poseapp.detection import weights as store

        parent, card = store.load(folder)
        if parent.config != self.model.config:
            raise PoseAppError(f"init_from {folder}: its model config {card.get('config', {}).get('model')} is not "
                               f"this run's {self.config.model}")
        self.model.load_state_dict(parent.state_dict())
        self.parent = {"folder": str(folder), "steps": card.get("training", {}).get("steps"),
                       "cpu_hours": card.get("training", {}).get("cpu_hours")}

    def lr_at(self, step: int) -> float:
        """Linear warm-up, then a cosine to 2% at the last step: a function of the step alone."""
        cfg = self.config
        if step < cfg.warmup_steps:
            return cfg.lr * (step + 1) / cfg.warmup_steps
        progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
        return cfg.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))

    def batch(self, step: int) -> dict[str, Any]:
        import torch

        cfg = self.config
        size, stride = self.scene_options.size, self.model.config.stride
        images, targets = [], []
        for k in range(cfg.batch_size):
            image, boxes, ignore = self.scenes(np.random.default_rng([cfg.seed, step, k]))
            images.append(torch.from_numpy(image).permute(2, 0, 1))
            targets.append(encode_targets(boxes, ignore, size, stride))
        batch = {key: torch.from_numpy(np.stack([t[key] for t in targets])) for key in targets[0]}
        batch["images"] = torch.stack(images)
        return batch

    # ------------------------------------------------------------ state
    def _save_state(self) -> None:
        import torch

        from poseapp.core.atomic import atomic_open

        cfg = self.config
        state = {
            "model": {k: v.detach().clone() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "step": self.step,
            # the pose runs' counters, which scripts/save_run_state.py reports
            "epoch": self.step // cfg.steps_per_epoch, "batch": self.step % cfg.steps_per_epoch,
            "history": json.dumps(self.history),
            "train_seconds": self.train_seconds,
            "resumes": self.resumes,
            "config": json.dumps(cfg.identity(), sort_keys=True),
        }
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        self.out.mkdir(parents=True, exist_ok=True)
        with atomic_open(self.out / STATE, "wb") as handle:
            torch.save(state, handle)
        self.progress("checkpoint", step=self.step, path=str(self.out / STATE))

    def _restore(self) -> None:
        import torch

        path = self.out / STATE
        if not path.is_file():
            return
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise DataError(path, f"not a readable training state ({exc})") from None
        saved = json.loads(state["config"])
        now = self.config.identity()
        differs = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k))
        if differs:
            raise PoseAppError(f"{path}: this folder holds a run with another config (differs in {', '.join(differs)}); "
                               "train into a new --out folder, or delete the folder to start over")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        torch.set_rng_state(state["torch_rng"])
        self.step = int(state["step"])
        self.history = json.loads(state["history"])
        self.train_seconds = float(state["train_seconds"])
        self.resumes = int(state["resumes"]) + 1
        self.progress("resume", step=self.step, resumes=self.resumes)

    # ------------------------------------------------------------ the loop
    def run(self, stop_after: int | None = None) -> dict[str, Any]:
        """Train to the last step, or until stopped (signal, max_minutes, or ``stop_after`` steps in
        this call, for tests): then {"stopped": True} with the state saved."""
        import torch

        cfg = self.config
        torch.set_num_threads(cfg.threads)
        try:
            import cv2

            cv2.setNumThreads(1)  # scene making shares the one core with the network
        except ImportError:
            pass
        if self.out.exists() and not self.out.is_dir():
            raise DataError(self.out, "is a file; --out names the run's folder")
        self._setup()
        self._restore()
        self.progress("start", steps=cfg.steps, step=self.step, batch_size=cfg.batch_size, threads=torch.get_num_threads(),
                      train_photos=len(self.photos), val_photos={k: len(v) for k, v in self.val_sets.items()},
                      scene_size=self.scene_options.size, input_size=self.model.config.input_size,
                      load_s=round(self._load_s, 1), out=str(self.out))
        handlers = self._install_signals()
        start = last_save = time.time()
        done_here, losses = 0, []
        try:
            while self.step < cfg.steps:
                t0 = time.time()
                losses.append(self._train_step())
                self.train_seconds += time.time() - t0
                self.step += 1
                done_here += 1
                if self.step % cfg.log_every == 0:
                    self._log(losses[-cfg.log_every:], done_here, start)
                if self.step % cfg.steps_per_epoch == 0 or self.step == cfg.steps:
                    self._end_epoch(losses)
                    losses = []
                    self._save_state()
                    last_save = time.time()
                out_of_time = cfg.max_minutes is not None and (time.time() - start) / 60 >= cfg.max_minutes
                stop = self._stop or out_of_time or (stop_after is not None and done_here >= stop_after)
                if stop or (time.time() - last_save) / 60 >= cfg.checkpoint_minutes:
                    if self.step % cfg.steps_per_epoch and self.step != cfg.steps:
                        self._save_state()
                    last_save = time.time()
                    if stop:
                        self.progress("stopped", step=self.step, reason="signal" if self._stop else "time")
                        return {"stopped": True, "step": self.step}
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        self.progress("done", step=self.step, train_seconds=round(self.train_seconds), last=self.history[-1] if self.history else None)
        return {"stopped": False, "step": self.step, "history": self.history}

    def _train_step(self) -> float:
        from poseapp.detection.model import LossWeights, detection_loss

        batch = self.batch(self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr_at(self.step)
        self.model.train()
        out = self.model(self.model.normalise(batch["images"]))
        loss, parts = detection_loss(out, batch, LossWeights(heatmap_loss=self.config.heatmap_loss))
        if not math.isfinite(float(loss.detach())):
            raise PoseAppError(f"non-finite loss at step {self.step} ({parts}); the last checkpoint is intact")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if self.ema is not None:
            self.ema.update(self.model, self.step)
        self._parts = parts
        return float(loss.detach())

    def _log(self, losses: list[float], done_here: int, start: float) -> None:
        rate = done_here / max(time.time() - start, 1e-6)  # wall clock: includes validation and saving
        self.progress("step", step=self.step, steps=self.config.steps, loss=round(float(np.mean(losses)), 4),
                      **{k: round(v, 4) for k, v in self._parts.items()}, lr=self.lr_at(self.step),
                      s_per_step=round(1 / rate, 3), eta_s=round((self.config.steps - self.step) / rate))

    def shipped_model(self):
        return self.ema.model if self.ema is not None else self.model

    def validate(self, model=None) -> dict[str, Any]:
        from poseapp.detection.evaluate import counts_at
        from poseapp.detection.runtime import run_detector
        from poseapp.detection.scenes import ImageBytes

        model = (model or self.shipped_model()).eval()
        thresholds = sorted({0.2, self.config.val_threshold, 0.4, 0.5})
        result: dict[str, Any] = {}
        for spec, photos in self.val_sets.items():
            images = ImageBytes([p.path for p in photos])
            # at the size the app runs it (runtime.CenterNetPersonDetector: the scenes' size)
            found = [run_detector(model, images(p.path), self.scene_options.size, min(thresholds), 0.65) for p in photos]
            counts = {t: counts_at(found, photos, t) for t in thresholds}
            result[spec] = {"photos": len(photos), **{f"at_{t}": c.as_dict() for t, c in counts.items()}}
        return result

    def _end_epoch(self, losses: list[float]) -> None:
        from poseapp.detection import weights as store

        t0 = time.time()
        record = {"epoch": self.step // self.config.steps_per_epoch, "step": self.step,
                  "train_loss": round(float(np.mean(losses)), 4) if losses else None, "val": self.validate(),
                  "train_seconds": round(self.train_seconds)}
        record["val_s"] = round(time.time() - t0, 1)
        self.history.append(record)
        self.progress("epoch", **record)
        store.save(self.shipped_model(), self.out, self.card(record))

    def card(self, record: dict[str, Any]) -> dict[str, Any]:
        import torch

        from poseapp.detection.model import ARCHITECTURE, count_parameters
        from poseapp.engine.train_device import hardware_description

        cfg = self.config
        model = self.shipped_model()
        return {
            "name": self.out.name, "architecture": ARCHITECTURE, "config": model.config.to_dict(),
            "input_size": model.config.input_size, "parameters": count_parameters(model),
            "outputs": "person boxes (x, y, w, h) with scores, best first",
            "default_threshold": cfg.val_threshold,
            "training": {
                "config": cfg.to_dict(), "data": list(cfg.data), "train_photos": len(self.photos),
                "scenes": dataclasses.asdict(self.scene_options),
                "validation": {spec: len(v) for spec, v in self.val_sets.items()},
                "validation_split": "every 4th photo of a COCO file by sorted name (poseapp.data.photo_split), "
                                    "coco_sample whole, LSP im0801-im1000",
                "steps": self.step, "epochs": self.step / cfg.steps_per_epoch, "batch_size": cfg.batch_size,
                "train_seconds": round(self.train_seconds), "cpu_hours": round(self.train_seconds * cfg.threads / 3600, 2),
                "hardware": hardware_description(torch.device("cpu")), "resumes": self.resumes,
                "weights": "EMA" if self.ema is not None else "last step",
                **({"initialized_from": self.parent} if self.parent else {}),
            },
            "metrics": {"step": record["step"], "min_height": 64, "iou": 0.5, "validation": record["val"]},
            "history": [{k: v for k, v in h.items() if k != "val"} | {"val": {s: m.get(f"at_{cfg.val_threshold}") for s, m in h["val"].items()}}
                        for h in self.history],
        }

    def _install_signals(self) -> dict:
        import threading

        if threading.current_thread() is not threading.main_thread():
            return {}

        def stop(signum, frame):
            self._stop = True  # finish the step, save, leave with EXIT_STOPPED

        return {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--max-minutes", type=float)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args(argv)
    try:
        config = DetectorTrainConfig.from_file(args.config, max_minutes=args.max_minutes, threads=args.threads)
        result = DetectorTrainer(config, args.out).run()
    except PoseAppError as exc:
        print(f"person-detector train: error: {exc}", file=sys.stderr)
        return 2
    return EXIT_STOPPED if result["stopped"] else 0


if __name__ == "__main__":
    sys.exit(main())
