"""The trainer: typed config, the papers' schedules, mixed precision, validation every epoch,
checkpoints that resume exactly, progress as JSON lines, DDP under torchrun.

Resuming is exact because everything random is a function of (seed, epoch, index): the epoch's
shuffle comes from a generator seeded with (seed, epoch), each sample's augmentation from
(seed, epoch, index), and the saved state records how many batches of the epoch are done.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

import numpy as np
import torch
import torch.distributed as dist

from poseapp.core.errors import DataError, PoseAppError
from poseapp.data.augment import AugmentConfig
from poseapp.data.samples import PoseSample, load_samples
from poseapp.data.splits import split_samples
from poseapp.engine import checkpoint as ckpt
from poseapp.engine.dataset import ImageCache, PoseDataset
from poseapp.engine.decoding import decode_output
from poseapp.engine.losses import LOSSES, OCCLUSION_MODES, LossConfig
from poseapp.engine.metrics import pck_table
from poseapp.core.skeleton import preset
from poseapp.models import build_model, make_config, normalise_images, resolve


_ABSENT = object()  # an option one identity has and the other lacks


@dataclass(frozen=True)
class TrainConfig:
    model: str = "recurrent-lite"
    model_overrides: dict[str, Any] = field(default_factory=dict)
    data: tuple[str, ...] = ()
    epochs: int = 40
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    optimizer: str = "adamw"  # adamw or sgd
    warmup_steps: int = 200
    occlusion: str = "include"  # recurrent: include, ignore or exclude
    foreground_weight: float = 10.0
    cascade_schedule: str = "staged"  # part_regression: staged (detector, regressor, joint) or joint
    stage_schedule: str = "sequential"  # deeppose: sequential (one stage at a time) or joint
    amp: str = "auto"  # auto, bf16, fp16 or off
    seed: int = 0
    log_every: int = 20
    checkpoint_minutes: float = 10.0
    max_minutes: float | None = None
    max_train: int | None = None  # cap on training samples (quick runs, tests)
    max_val: int | None = None
    init_from: str | None = None  # fine-tuning: start from this model folder
    # Which epoch's weights the run ships. 'best' picks by validation PCK, the same split the card
    # reports, so its figure is a best-of-N on that split; 'last' makes no choice on it.
    keep: str = "last"
    augment: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        resolve(self.model)  # raises for unknown names
        if self.occlusion not in OCCLUSION_MODES:
            raise ValueError(f"occlusion must be one of {OCCLUSION_MODES}")
        if self.amp not in ("auto", "bf16", "fp16", "off"):
            raise ValueError("amp must be auto, bf16, fp16 or off")
        if self.keep not in ("last", "best"):
            raise ValueError("keep must be last or best")

    @classmethod
    def from_file(cls, path: str | os.PathLike, **overrides: Any) -> "TrainConfig":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(path, "training config not found") from None
        except json.JSONDecodeError as exc:
            raise DataError(path, f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
        return cls.from_dict(data, source=path, **overrides)

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: Any = None, **overrides: Any) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise DataError(source, f"unknown training option(s) {sorted(unknown)}; known: {sorted(names)}")
        merged = {**values, **{k: v for k, v in overrides.items() if v is not None}}
        if "data" in merged:
            merged["data"] = tuple(merged["data"])
        try:
            return cls(**merged)
        except (TypeError, ValueError, KeyError) as exc:
            raise DataError(source, str(exc)) from None

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["data"] = list(self.data)
        return data

    def differences(self, saved_identity: str) -> list[str]:
        """The options in which a saved run's identity differs from this config. An option added to
        poseapp after the run was saved matches when this config leaves it at its default."""
        try:
            saved = json.loads(saved_identity)
        except (TypeError, json.JSONDecodeError):
            return ["(unreadable saved config)"]
        current = json.loads(self.identity())
        saved = {**json.loads(type(self)().identity()), **saved}  # options it predates: at their defaults
        return [n for n in sorted(set(saved) | set(current)) if saved.get(n, _ABSENT) != current.get(n, _ABSENT)]

    def identity(self) -> str:
        """What a resumed run must share with the saved one (how long or how chatty a run is may change)."""
        data = self.to_dict()
        for key in ("max_minutes", "log_every", "checkpoint_minutes"):
            data.pop(key)
        return json.dumps(data, sort_keys=True)


class Progress:
    """JSON lines on a stream (stdout by default): the CLI prints them, the GUI parses them."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True):
        self.stream = stream or sys.stdout
        self.enabled = enabled

    def __call__(self, event: str, **fields: Any) -> None:
        if self.enabled:
            self.stream.write(json.dumps({"event": event, "time": round(time.time(), 3), **fields}, default=float) + "\n")
            self.stream.flush()


def _amp_dtype(device: torch.device, mode: str) -> torch.dtype | None:
    if mode == "off":
        return None
    if device.type == "cuda":
        if mode == "fp16":
            return torch.float16
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if mode == "fp16":
        raise PoseAppError("fp16 autocast needs a CUDA GPU; use bf16 or off on the CPU")
    bf16_fast = bool(getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)())
    if mode == "bf16" or (mode == "auto" and bf16_fast):
        return torch.bfloat16
    return None


def pick_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def hardware_description(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            name = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    threads = torch.get_num_threads()
    return f"{name} CPU, {threads} thread{'s' if threads != 1 else ''}"


class Trainer:
    def __init__(self, config: TrainConfig, out: str | os.PathLike, progress: Progress | None = None,
                 samples: list[PoseSample] | None = None):
        self.config = config
        self.out = Path(out)
        self.distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        if self.distributed and not dist.is_initialized():
            dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        self.rank = dist.get_rank() if self.distributed else 0
        self.world = dist.get_world_size() if self.distributed else 1
        self.progress = progress or Progress(enabled=self.rank == 0)
        self.device = pick_device()
        self.amp_dtype = _amp_dtype(self.device, config.amp)
        self._samples = samples
        self._stop = False
        self.skipped_other_skeletons = 0
        self.parent: dict[str, Any] | None = None  # the model a fine-tuning run started from

    # ------------------------------------------------------------------ set-up
    def _load_data(self) -> tuple[list[PoseSample], list[PoseSample]]:
        samples = self._samples
        if samples is None:
            if not self.config.data:
                raise PoseAppError("no training data: give --data (lsp:DIR, lspet:DIR, coco:FILE, project:FILE ...)")
            samples = [s for spec in self.config.data for s in load_samples(spec)]
        # a project may hold people of several skeletons: train on the model's own
        skeleton = make_config(self.config.model, **self.config.model_overrides).skeleton
        self.skipped_other_skeletons = sum(s.skeleton != skeleton for s in samples)
        samples = [s for s in samples if s.skeleton == skeleton]
        if not samples:
            raise PoseAppError(f"no annotated people with the {skeleton} skeleton in {', '.join(self.config.data)}")
        train, val = split_samples(samples)
        if not val:  # no LSP validation images here: hold out every 20th sample (5th in a small project)
            from poseapp.engine.finetune_plan import holdout_split

            train, val = holdout_split(samples)
        if self.config.max_train:
            train = train[: self.config.max_train]
        if self.config.max_val:
            val = val[: self.config.max_val]
        return train, val

    def _build(self):
        cfg = self.config
        if cfg.init_from:
            model, card = ckpt.load_model(cfg.init_from)
            if card["architecture"] != resolve(cfg.model)[0]:
                raise PoseAppError(f"{cfg.init_from} is a {card['architecture']} model; the config asks for {cfg.model}")
            self.parent = _lineage(cfg.init_from, card)
        else:
            model = build_model(make_config(cfg.model, **cfg.model_overrides))
        return model.to(self.device)

    def _phase(self, epoch: int) -> tuple[str, dict[str, Any]]:
        """The schedule: which parts train in this epoch and which loss terms apply."""
        name, cfg = self.model.registry_name, self.config
        if name == "part_regression" and cfg.cascade_schedule == "staged":
            third = max(1, cfg.epochs // 3)
            phase = "detector" if epoch < third else "regressor" if epoch < 2 * third else "joint"
            return phase, {"phase": phase}
        if name == "deeppose" and cfg.stage_schedule == "sequential":
            stages = self.model.config.stages + 1
            per = max(1, cfg.epochs // stages)
            stage = min(epoch // per, stages - 1)
            return f"stage {stage}", {"stages": [stage]}
        return "all", {}

    def _set_trainable(self, phase: str) -> None:
        model = self.model
        name = model.registry_name
        for p in model.parameters():
            p.requires_grad_(True)
        frozen: list[torch.nn.Module] = []
        if name == "part_regression":
            frozen = {"detector": [model.regressor], "regressor": [model.detector]}.get(phase, [])
        elif name == "deeppose" and phase.startswith("stage"):
            stage = int(phase.split()[1])
            parts = [model.initial, *model.refiners]
            frozen = [m for i, m in enumerate(parts) if i != stage]
        for module in frozen:
            for p in module.parameters():
                p.requires_grad_(False)
            module.eval()  # frozen batch-norm statistics stay as they are

    # ------------------------------------------------------------------ the loop
    def run(self) -> dict[str, Any]:
        cfg = self.config
        torch.manual_seed(cfg.seed)
        start_wall = time.time()
        train, val = self._load_data()
        self.model = self._build()
        codec = self.model.codec()
        size = self.model.config.input_size
        cache = ImageCache()
        load_s = cache.preload(train + val)
        augment = AugmentConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.augment.items()})
        train_set = PoseDataset(train, codec, size, augment, cache, seed=cfg.seed)
        val_set = PoseDataset(val, codec, size, None, cache)
        net = self.model
        if self.distributed:
            net = torch.nn.parallel.DistributedDataParallel(self.model, find_unused_parameters=True)
        params = [p for p in self.model.parameters()]
        if cfg.optimizer == "sgd":
            optimizer = torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
        else:
            optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        steps_per_epoch = math.ceil(len(train) / (cfg.batch_size * self.world))
        total_steps = steps_per_epoch * cfg.epochs
        warmup = min(cfg.warmup_steps, max(1, total_steps // 10))

        def lr_factor(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            progress = (step - warmup) / max(1, total_steps - warmup)
            return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
        scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        loss_fn = LOSSES[self.model.registry_name]
        loss_cfg = LossConfig(occlusion=cfg.occlusion, foreground_weight=cfg.foreground_weight)

        epoch, batch_in_epoch, history, best = 0, 0, [], {"pck": -1.0, "epoch": None}
        train_seconds = 0.0
        state = ckpt.load_state(self.out) if self.rank == 0 or self.distributed else None
        differs = cfg.differences(state.get("config", "")) if state is not None else []
        if state is not None and differs:
            # Starting afresh would overwrite a run (maybe a finished one) that the user did not ask to lose.
            raise PoseAppError(
                f"{self.out / ckpt.STATE}: this folder holds a run with another config (differs in "
                f"{', '.join(differs)}); train into a new --out folder, or delete the folder to start over"
            )
        if state is not None:
            self.model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            torch.set_rng_state(state["torch_rng"])
            epoch, batch_in_epoch = int(state["epoch"]), int(state["batch"])
            history = json.loads(state["history"])
            best = json.loads(state["best"])
            train_seconds = float(state["train_seconds"])
            self.progress("resume", epoch=epoch, batch=batch_in_epoch)

        self.progress(
            "start", model=cfg.model, architecture=self.model.registry_name, device=str(self.device),
            amp=str(self.amp_dtype).replace("torch.", "") if self.amp_dtype else "off", world_size=self.world,
            train_samples=len(train), val_samples=len(val), skipped_other_skeletons=self.skipped_other_skeletons,
            epochs=cfg.epochs, steps_per_epoch=steps_per_epoch,
            image_load_s=round(load_s, 1), out=str(self.out),
        )
        old_handlers = self._install_signal_handlers()
        last_save = time.time()
        run_start = time.time()
        stopped_early = False
        try:
            while epoch < cfg.epochs:
                phase, loss_kwargs = self._phase(epoch)
                self.model.train()
                self._set_trainable(phase)
                train_set.epoch = epoch
                order = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(cfg.seed * 100003 + epoch)).tolist()
                order = order[self.rank :: self.world]
                batches = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
                losses = []
                t_epoch = time.time()
                for b in range(batch_in_epoch, len(batches)):
                    t0 = time.time()
                    items = [train_set[i] for i in batches[b]]
                    images = normalise_images(torch.stack([x[0] for x in items]).to(self.device))
                    target = torch.stack([x[1] for x in items]).to(self.device)
                    weight = torch.stack([x[2] for x in items]).to(self.device)
                    kps = torch.stack([x[3] for x in items]).to(self.device)
                    with torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32, enabled=self.amp_dtype is not None):
                        output = net(images)
                    loss = loss_fn(self.model, output, target, weight, kps, loss_cfg, **loss_kwargs)
                    optimizer.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                    scheduler.step()
                    losses.append(float(loss.detach()))
                    train_seconds += time.time() - t0
                    batch_in_epoch = b + 1
                    done = epoch * steps_per_epoch + batch_in_epoch
                    if batch_in_epoch % cfg.log_every == 0 or batch_in_epoch == len(batches):
                        rate = done / max(train_seconds, 1e-6)
                        self.progress(
                            "step", epoch=epoch, batch=batch_in_epoch, batches=len(batches), phase=phase,
                            loss=float(np.mean(losses[-cfg.log_every:])), lr=scheduler.get_last_lr()[0],
                            samples_per_s=round(rate * cfg.batch_size * self.world, 2),
                            eta_s=round((total_steps - done) / max(rate, 1e-9)),
                        )
                    out_of_time = cfg.max_minutes is not None and (time.time() - run_start) / 60 >= cfg.max_minutes
                    if self._stop or out_of_time or (time.time() - last_save) / 60 >= cfg.checkpoint_minutes:
                        self._save_state(optimizer, scheduler, epoch, batch_in_epoch, history, best, train_seconds)
                        last_save = time.time()
                        if self._stop or out_of_time:
                            stopped_early = True
                            self.progress("stopped", reason="signal" if self._stop else "max_minutes", epoch=epoch, batch=batch_in_epoch)
                            return {"stopped": True, "epoch": epoch, "batch": batch_in_epoch, "history": history}
                record = {"epoch": epoch, "phase": phase, "train_loss": float(np.mean(losses)) if losses else None,
                          "epoch_s": round(time.time() - t_epoch, 1)}
                if self.rank == 0:
                    record["val"] = evaluate_crops(self.model, val_set, self.device, self.amp_dtype)
                    total = record["val"]["pck@0.2"]["total"]
                    improved = total > best["pck"]
                    if improved:
                        best = {"pck": total, "epoch": epoch}
                    if improved or cfg.keep == "last":
                        ckpt.save_weights(self.model, self.out)
                        ckpt.write_card(self.out, self._card(record, history + [record], train, val, train_seconds, start_wall))
                history.append(record)
                self.progress("epoch", **record, best=best)
                epoch, batch_in_epoch = epoch + 1, 0
                self._save_state(optimizer, scheduler, epoch, 0, history, best, train_seconds)
                last_save = time.time()
                if self.distributed:
                    dist.barrier()
        finally:
            self._restore_signal_handlers(old_handlers)
            if self.distributed and dist.is_initialized() and not stopped_early:
                dist.barrier()
        self.progress("done", best=best, epochs=cfg.epochs, train_seconds=round(train_seconds))
        return {"stopped": False, "best": best, "history": history}

    # ------------------------------------------------------------------ bookkeeping
    def _card(self, record, history, train, val, train_seconds, start_wall) -> dict[str, Any]:
        cfg = self.config
        return ckpt.make_card(
            self.model, self.out.name,
            training={
                "config": cfg.to_dict(), "data": list(cfg.data), "train_samples": len(train), "val_samples": len(val),
                "validation_split": "LSP training half im0801-im1000" if any(s.key.startswith("lsp:") for s in val) else "every 20th sample",
                "kept": cfg.keep, "kept_epoch": record["epoch"], "epochs_run": len(history), "train_seconds": round(train_seconds),
                "hardware": hardware_description(self.device), "amp": str(self.amp_dtype).replace("torch.", "") if self.amp_dtype else "off",
                "world_size": self.world, "started": start_wall,
                **({"initialized_from": self.parent} if self.parent else {}),
            },
            metrics={"validation_crops": record["val"]},
            history=history,
        )

    def _save_state(self, optimizer, scheduler, epoch, batch, history, best, train_seconds) -> None:
        if self.rank != 0:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        ckpt.save_state(self.out, {
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "epoch": epoch,
            "batch": batch,
            "history": json.dumps(history),
            "best": json.dumps(best),
            "train_seconds": train_seconds,
            "config": self.config.identity(),
        })
        self.progress("checkpoint", epoch=epoch, batch=batch, path=str(self.out / ckpt.STATE))

    def _install_signal_handlers(self) -> dict:
        handlers = {}
        if self.rank != 0 or threading_is_not_main():
            return handlers

        def stop(signum, frame):
            self._stop = True  # finish the step, save, and leave

        for sig in (signal.SIGINT, signal.SIGTERM):
            handlers[sig] = signal.signal(sig, stop)
        return handlers

    def _restore_signal_handlers(self, handlers: dict) -> None:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def threading_is_not_main() -> bool:
    import threading

    return threading.current_thread() is not threading.main_thread()


@torch.no_grad()
def evaluate_crops(model, dataset: PoseDataset, device, amp_dtype=None, batch_size: int = 32) -> dict[str, Any]:
    """PCK@0.2 per group, total and per iteration/stage, on un-augmented crops (PCK is invariant to
    the crop's scale and shift, so crop coordinates give the image-coordinate figures)."""
    model.eval()
    codec = model.codec()
    preds, gts = [], []
    for start in range(0, len(dataset), batch_size):
        items = [dataset[i] for i in range(start, min(len(dataset), start + batch_size))]
        images = normalise_images(torch.stack([x[0] for x in items]).to(device))
        with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
            output = model(images)
        coords, _ = decode_output(model, output, codec)
        preds.append(coords)
        gts.append(np.stack([x[3].numpy() for x in items]))
    pred = np.concatenate(preds)  # (N, T, K, 2)
    gt = np.concatenate(gts)
    skeleton = preset(model.config.skeleton)
    per_stage = [pck_table(pred[:, t], gt, skeleton) for t in range(pred.shape[1])]
    return {
        "pck@0.2": per_stage[-1],
        "per_iteration": [{"stage": name, "pck@0.2_total": table["total"]}
                          for name, table in zip(model.stage_names(pred.shape[1]), per_stage)],
        "n": int(len(gt)),
    }


def _lineage(path: str, card: dict[str, Any]) -> dict[str, Any]:
    """What a fine-tuned model started from, copied at the time, so that its card still tells the
    whole training history after the parent folder is retrained or deleted."""
    training = card.get("training", {})
    parent = {
        "model": card.get("name", Path(path).name), "path": str(path),
        "config": training.get("config", {}), "data": training.get("data", []),
        "epochs_run": training.get("epochs_run"), "train_seconds": training.get("train_seconds", 0),
        "hardware": training.get("hardware"),
        "lsp_val_pck@0.2": card.get("metrics", {}).get("lsp_val", {}).get("pck@0.2", {}).get("total"),
    }
    if "initialized_from" in training:  # chains of fine-tuning keep every ancestor
        parent["initialized_from"] = training["initialized_from"]
    return parent
