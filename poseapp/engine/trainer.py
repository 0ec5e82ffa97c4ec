"""The trainer: the papers' schedules, mixed precision, validation every epoch, checkpoints that
resume exactly, progress as JSON lines, DDP under torchrun. Its options are a TrainConfig
(train_config.py); the device and precision it picks come from train_device.py.

Resuming is exact because everything random is a function of (seed, epoch, index): the epoch's
shuffle comes from a generator seeded with (seed, epoch), each sample's augmentation from
(seed, epoch, index), and the saved state records how many batches of the epoch are done.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
import torch.distributed as dist

from poseapp.core.errors import DataError, PoseAppError
from poseapp.core.skeleton import skeleton_of
from poseapp.data.extra_labels import add_extra_labels
from poseapp.data.samples import PoseSample, in_skeleton, load_samples
from poseapp.data.splits import training_split
from poseapp.engine import checkpoint as ckpt
from poseapp.engine.dataset import ImageCache, PoseDataset
from poseapp.engine.ema import ModelEMA
from poseapp.engine.evaluate import evaluate_crops
from poseapp.engine.hint_training import HintSampler
from poseapp.engine.train_config import RESUMABLE_CHANGES, TrainConfig
from poseapp.engine.train_device import (
    amp_dtype_for,
    amp_note,
    hardware_description,
    pick_device,
)
from poseapp.models import build_model, make_config, normalise_images, resolve
from poseapp.models.losses import LossConfig
from poseapp.models.registry import override_config


class Progress:
    """JSON lines on a stream (stdout by default): the CLI prints them, the GUI parses them."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True):
        self.stream = stream or sys.stdout
        self.enabled = enabled

    def __call__(self, event: str, **fields: Any) -> None:
        if self.enabled:
            self.stream.write(json.dumps({"event": event, "time": round(time.time(), 3), **fields}, default=float) + "\n")
            self.stream.flush()


def check_run_folder(out: Path) -> None:
    """A run writes into a new or empty folder, or resumes the run saved in it. Any other folder is
    refused: a shipped model or someone's files would be overwritten by this run's weights and card."""
    if out.exists() and not out.is_dir():
        raise DataError(out, "is a file; --out names the folder a run writes its model into")
    if out.is_dir() and not (out / ckpt.STATE).is_file() and any(out.iterdir()):
        what = "a model" if (out / ckpt.CARD).is_file() else "files"
        raise DataError(out, f"holds {what} but no training run to resume ({ckpt.STATE}); "
                             "train into a new or empty folder")


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
        self.amp_dtype = amp_dtype_for(self.device, config.amp)
        self._samples = samples
        self._stop = False
        self.skipped_other_skeletons = 0
        self.extra_labelled = 0  # joints filled in from config.extra_labels
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
        samples, other, _ = in_skeleton(samples, skeleton)
        self.skipped_other_skeletons = len(other)
        if not samples:
            raise PoseAppError(f"no annotated people with the {skeleton} skeleton in {', '.join(self.config.data)}")
        train, val, self.validation_split = training_split(samples)
        if self.config.extra_labels:  # training people only: validation figures stay against people's labels
            train, self.extra_labelled = add_extra_labels(train, self.config.extra_labels, self.config.extra_label_min_score)
        if self.config.max_train:
            train = train[: self.config.max_train]
        if self.config.oversample:
            train = [s for s in train for _ in range(self.config.oversample.get(s.key.partition(":")[0], 1))]
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
            skeleton = cfg.model_overrides.get("skeleton", model.config.skeleton)
            if skeleton != model.config.skeleton:  # transfer to another skeleton: joints kept by name
                return self._transfer(model, card).to(self.device)
            if cfg.model_overrides:
                try:
                    wider = build_model(override_config(model.config, **cfg.model_overrides))
                    self.parent["widened"] = ckpt.widen_from(wider, model)
                except (KeyError, TypeError, ValueError) as exc:
                    raise PoseAppError(f"model_overrides {cfg.model_overrides} do not fit {cfg.init_from}: {exc}") from None
                model = wider
        else:
            model = build_model(make_config(cfg.model, **cfg.model_overrides))
        return model.to(self.device)

    def _transfer(self, parent, card: dict[str, Any]):
        """A model of the config's skeleton, started from ``parent`` of another (engine/transfer.py)."""
        from poseapp.engine.transfer import transfer_weights

        cfg = self.config
        try:
            model = build_model(override_config(parent.config, **cfg.model_overrides))
            moved = transfer_weights(model, parent, skeleton_of(model.config), skeleton_of(parent.config))
        except (KeyError, TypeError, ValueError, NotImplementedError) as exc:
            raise PoseAppError(f"{cfg.init_from} cannot start a {cfg.model_overrides.get('skeleton')} model: {exc}") from None
        self.parent["skeleton"] = parent.config.skeleton
        self.parent["transfer"] = moved.to_card()
        return model

    def _phase(self, epoch: int) -> tuple[str, dict[str, Any]]:
        """The model's schedule: which parts train in this epoch and which loss terms apply."""
        return self.model.training_phase(epoch, self.config)

    def _set_trainable(self, phase: str) -> None:
        for p in self.model.parameters():
            p.requires_grad_(True)
        for module in self.model.frozen_parts(phase):
            for p in module.parameters():
                p.requires_grad_(False)
            module.eval()  # frozen batch-norm statistics stay as they are
        prefixes = self.config.train_only
        if prefixes:  # only these train; the rest, batch-norm statistics too, stays as it was
            for name, p in self.model.named_parameters():
                p.requires_grad_(p.requires_grad and name.startswith(prefixes))
            self.model.eval()
            for name, module in self.model.named_modules():
                if name and name.startswith(prefixes):
                    module.train()

    # ------------------------------------------------------------------ the loop
    def run(self) -> dict[str, Any]:
        cfg = self.config
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        check_run_folder(self.out)  # before the data loads: a wrong --out is refused at once
        self._start_wall = time.time()
        self._setup()
        self._restore(ckpt.load_state(self.out) if self.rank == 0 or self.distributed else None)
        self._measure_starting_model()
        self.progress(
            "start", model=cfg.model, architecture=self.model.registry_name, device=str(self.device),
            amp=str(self.amp_dtype).replace("torch.", "") if self.amp_dtype else "off", world_size=self.world,
            train_samples=len(self.train), val_samples=len(self.val), skipped_other_skeletons=self.skipped_other_skeletons,
            validation_split=self.validation_split, **({"extra_labelled_joints": self.extra_labelled} if cfg.extra_labels else {}),
            epochs=cfg.epochs, steps_per_epoch=self.steps_per_epoch, total_steps=self.total_steps,
            image_load_s=round(self._load_s, 1), out=str(self.out), threads=torch.get_num_threads(),
            channels_last=self.channels_last,
            **({"val_pck_before": self.start_val} if self.start_val is not None else {}),
            **({"amp_note": note} if (note := amp_note(self.device, cfg.amp, self.amp_dtype)) else {}),
        )
        old_handlers = self._install_signal_handlers()
        self._last_save = self._run_start = time.time()
        self._epoch_overheads: list[float] = []
        stopped_early = False
        try:
            while self.epoch < cfg.epochs and self.global_step < self.total_steps:
                if not self._train_epoch():
                    stopped_early = True
                    return {"stopped": True, "epoch": self.epoch, "batch": self.batch_in_epoch, "history": self.history}
                self._end_epoch()
        finally:
            self._restore_signal_handlers(old_handlers)
            if self.distributed and dist.is_initialized() and not stopped_early:
                dist.barrier()
        # a run that ends at max_steps inside an epoch has moved its counters to the next epoch's start
        steps = self.history[-1]["steps"] if self.history else self.global_step
        # epochs: those run (the last maybe cut short by max_steps), as the card's epochs_run; planned: the config's
        self.progress("done", best=self.best, epochs=len(self.history), epochs_planned=cfg.epochs, steps=steps,
                      total_steps=self.total_steps, train_seconds=round(self.train_seconds))
        return {"stopped": False, "best": self.best, "history": self.history}

    def _setup(self) -> None:
        """Data, model, EMA, optimizer, schedule and loss: everything a run (fresh or resumed) needs."""
        cfg = self.config
        self.train, self.val = self._load_data()
        self.model = self._build()
        codec = self.model.codec()
        size = self.model.config.input_size
        cache = ImageCache()
        self._load_s = cache.preload(self.train + self.val)
        augment = cfg.augment_config()
        skeleton = skeleton_of(self.model.config)
        self.train_set = PoseDataset(self.train, codec, size, augment, cache, seed=cfg.seed, skeleton=skeleton,
                                     photo=cfg.photo_augment_config())
        self.val_set = PoseDataset(self.val, codec, size, None, cache, skeleton=skeleton)
        # a fixed, evenly spread subset of the training samples, un-augmented: train PCK next to val PCK
        step = max(1, len(self.train) // cfg.train_eval) if cfg.train_eval else 0
        self.train_eval_set = PoseDataset(self.train[::step][: cfg.train_eval], codec, size, None, cache, skeleton=skeleton) if step else None
        # oneDNN's bf16 backward of dilated convolutions in channels-last returns NaN gradients
        # (torch 2.13 CPU, measured): such models train in the default layout.
        self.channels_last = cfg.channels_last and not (self.amp_dtype == torch.bfloat16 and _has_dilated_conv(self.model))
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.net = self.model
        if self.distributed:
            self.net = torch.nn.parallel.DistributedDataParallel(self.model, find_unused_parameters=True)
        self.ema = ModelEMA(self.model, cfg.ema_decay) if cfg.ema_decay > 0 else None
        self.hint_sampler = HintSampler.from_config(self.model, cfg)
        self.recipe_changes: list[dict[str, Any]] = []  # hint options changed (and hint inputs added) on resume, for the card
        if cfg.train_only and not any(n.startswith(cfg.train_only) for n, _ in self.model.named_parameters()):
            raise PoseAppError(f"train_only {list(cfg.train_only)} names no parameter of this {self.model.registry_name} model")
        params = list(self.model.parameters())
        if cfg.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
        else:
            self.optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.steps_per_epoch = math.ceil(len(self.train) / (cfg.batch_size * self.world))
        self.total_steps = min(cfg.max_steps or 10**18, self.steps_per_epoch * cfg.epochs)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.loss_cfg = LossConfig(occlusion=cfg.occlusion, foreground_weight=cfg.foreground_weight)
        self.epoch, self.batch_in_epoch, self.history = 0, 0, []
        self.best = {"pck": -1.0, "epoch": None}
        self.train_seconds = 0.0

    def _lr_factor(self, step: int) -> float:
        """Linear warm-up, then one cosine down to 2% over the whole run: a function of the global
        step only, so a resumed run continues the same curve."""
        warmup = min(self.config.warmup_steps, max(1, self.total_steps // 10))
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, self.total_steps - warmup)
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    @property
    def global_step(self) -> int:
        return self.epoch * self.steps_per_epoch + self.batch_in_epoch

    def _restore(self, state: dict[str, Any] | None) -> None:
        if state is None:
            return
        self.recipe_changes = json.loads(state.get("recipe_changes", "[]"))
        changes = self._recipe_changes(state.get("config", ""))
        shapes = self.model.state_dict()
        self.model.load_state_dict(ckpt.widen_state(shapes, state["model"])[0])
        self.optimizer.load_state_dict(_widen_optimizer_state(state["optimizer"], self.optimizer))
        self.scheduler.load_state_dict(state["scheduler"])
        if self.ema is not None:
            self.ema.load_state_dict(ckpt.widen_state(shapes, state["ema"])[0])
        torch.set_rng_state(state["torch_rng"])
        self.epoch, self.batch_in_epoch = int(state["epoch"]), int(state["batch"])
        self.history = json.loads(state["history"])
        self.best = json.loads(state["best"])
        self.train_seconds = float(state["train_seconds"])
        self.resumes = int(state.get("resumes", 0)) + 1
        self.start_val = state.get("start_val")
        self.progress("resume", epoch=self.epoch, batch=self.batch_in_epoch, step=self.global_step, resumes=self.resumes)
        for change in changes:
            change.update(epoch=self.epoch, step=self.global_step)
            self.recipe_changes.append(change)
            self.progress("recipe_change", **change)

    resumes = 0  # how often this run was resumed, for the card
    start_val: float | None = None  # a fine-tuning run: the starting model's PCK@0.2 on this run's validation people

    def _measure_starting_model(self) -> None:
        """A fine-tuning run measures the model it starts from on its own validation people once,
        so the user can tell whether fine-tuning helped (the parent card's figure is on other data)."""
        if self.parent is None or self.rank != 0:
            return
        if self.start_val is None and self.global_step == 0:
            self.start_val = evaluate_crops(self.model, self.val_set, self.device, self.amp_dtype)["pck@0.2"]["total"]
        if self.start_val is not None:
            self.parent["val_pck@0.2_on_this_run"] = self.start_val

    def _recipe_changes(self, saved_identity: str) -> list[dict[str, Any]]:
        """The options in which this config changes the saved run's recipe, when a resume may
        change them: hint training, and a recurrent module that starts reading hints (its new
        weights start at zero). Any other difference is refused."""
        differs = self.config.differences(saved_identity)
        saved = self.config.saved_options(saved_identity) or {}
        current = self.config.to_dict()
        changes, refused = [], []
        for name in differs:
            if name in RESUMABLE_CHANGES:
                changes.append({"option": name, "from": saved.get(name), "to": current[name]})
            elif name == "model_overrides" and _only_adds_hint_input(saved.get(name) or {}, current[name]):
                changes.append({"option": "model_overrides.hint_input", "from": False, "to": True})
            else:
                refused.append(name)
        if refused:
            # Starting afresh would overwrite a run (maybe a finished one) that the user did not ask to lose.
            raise PoseAppError(
                f"{self.out / ckpt.STATE}: this folder holds a run with another config (differs in "
                f"{', '.join(refused)}); train into a new --out folder, or delete the folder to start over"
            )
        return changes

    def _batches(self) -> list[list[int]]:
        """This epoch's batches: a shuffle seeded by (seed, epoch), so a resumed epoch replays it."""
        cfg = self.config
        order = torch.randperm(len(self.train_set), generator=torch.Generator().manual_seed(cfg.seed * 100003 + self.epoch)).tolist()
        order = order[self.rank :: self.world]
        batches = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
        # a run planned in steps may end inside this epoch
        return batches[: max(0, self.total_steps - self.epoch * self.steps_per_epoch)]

    def _train_epoch(self) -> bool:
        """Train the rest of the current epoch; False when stopped early (signal or time), with a checkpoint."""
        cfg = self.config
        self.phase, self.loss_kwargs = self._phase(self.epoch)
        self.model.train()
        self._set_trainable(self.phase)
        self.train_set.epoch = self.epoch
        batches = self._batches()
        self.losses: list[float] = []
        self._t_epoch = time.time()
        for b in range(self.batch_in_epoch, len(batches)):
            t0 = time.time()
            self.losses.append(self._train_step(batches[b]))
            self.train_seconds += time.time() - t0
            self.batch_in_epoch = b + 1
            if self.batch_in_epoch % cfg.log_every == 0 or self.batch_in_epoch == len(batches):
                self._log_step(len(batches))
            out_of_time = cfg.max_minutes is not None and (time.time() - self._run_start) / 60 >= cfg.max_minutes
            if self._stop or out_of_time or (time.time() - self._last_save) / 60 >= cfg.checkpoint_minutes:
                self._save_state()
                self._last_save = time.time()
                if self._stop or out_of_time:
                    self.progress("stopped", reason="signal" if self._stop else "max_minutes", epoch=self.epoch,
                                  batch=self.batch_in_epoch, step=self.global_step)
                    return False
        return True

    def _train_step(self, batch: list[int]) -> float:
        items = [self.train_set[i] for i in batch]
        images = normalise_images(torch.stack([x[0] for x in items]).to(self.device))
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        target = torch.stack([x[1] for x in items]).to(self.device)
        weight = torch.stack([x[2] for x in items]).to(self.device)
        kps = torch.stack([x[3] for x in items]).to(self.device)
        hints = self.hint_sampler(target, kps, self.global_step)
        with torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32, enabled=self.amp_dtype is not None):
            output = self.net(images, **hints)
        loss = self.model.loss(output, target, weight, kps, self.loss_cfg, **self.loss_kwargs)
        if not torch.isfinite(loss):
            # stop before NaN weights reach a checkpoint: the last saved state is still good
            raise PoseAppError(f"non-finite training loss at step {self.global_step} (epoch {self.epoch}); "
                               "lower the learning rate or turn autocast off, then resume")
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        if self.ema is not None:
            self.ema.update(self.model, self.global_step)
        return float(loss.detach())

    def _log_step(self, batches: int) -> None:
        cfg = self.config
        rate = self.global_step / max(self.train_seconds, 1e-6)
        self.progress(
            "step", epoch=self.epoch, batch=self.batch_in_epoch, batches=batches, step=self.global_step, phase=self.phase,
            loss=float(np.mean(self.losses[-cfg.log_every:])), lr=self.scheduler.get_last_lr()[0],
            samples_per_s=round(rate * cfg.batch_size * self.world, 2), eta_s=self._eta_seconds(rate),
        )

    def _eta_seconds(self, rate: float) -> int:
        """Seconds to the end: the steps left at the measured rate, plus each epoch end left
        (validation, saving) at its measured cost, and never past ``max_minutes``."""
        steps_left = self.total_steps - self.global_step
        epoch_ends = -(-steps_left // max(self.steps_per_epoch, 1))  # including the current epoch's
        overhead = float(np.mean(self._epoch_overheads)) if self._epoch_overheads else 0.0
        eta = steps_left / max(rate, 1e-9) + epoch_ends * overhead
        if self.config.max_minutes is not None:
            eta = min(eta, max(0.0, self.config.max_minutes * 60 - (time.time() - self._run_start)))
        return round(eta)

    def _end_epoch(self) -> None:
        """Validate (the EMA weights when kept), keep the weights, write the card, checkpoint."""
        cfg = self.config
        t_end = time.time()
        record = {"epoch": self.epoch, "phase": self.phase, "steps": self.global_step,
                  "train_loss": float(np.mean(self.losses)) if self.losses else None,
                  "epoch_s": round(time.time() - self._t_epoch, 1), "train_seconds": round(self.train_seconds)}
        if self.rank == 0:
            shipped = self.ema.model if self.ema is not None else self.model
            record["val"] = evaluate_crops(shipped, self.val_set, self.device, self.amp_dtype)
            if self.train_eval_set is not None:
                record["train"] = evaluate_crops(shipped, self.train_eval_set, self.device, self.amp_dtype)
            total = record["val"]["pck@0.2"]["total"]
            improved = total > self.best["pck"]
            if improved:
                self.best = {"pck": total, "epoch": self.epoch}
            if improved or cfg.keep == "last":
                ckpt.save_weights(shipped, self.out)
                ckpt.write_card(self.out, self._card(record, self.history + [record]))
        self.history.append(record)
        self.progress("epoch", **record, best=self.best)
        self.epoch, self.batch_in_epoch = self.epoch + 1, 0
        self._save_state()
        self._last_save = time.time()
        self._epoch_overheads.append(self._last_save - t_end)  # evaluation and saving: the time left counts them
        if self.distributed:
            dist.barrier()

    # ------------------------------------------------------------------ bookkeeping
    def _card(self, record, history) -> dict[str, Any]:
        cfg = self.config
        return ckpt.make_card(
            self.model, self.out.name,
            training={
                "config": cfg.to_dict(), "data": list(cfg.data), "train_samples": len(self.train), "val_samples": len(self.val),
                "validation_split": getattr(self, "validation_split", "every 20th sample"),
                "kept": cfg.keep, "kept_epoch": record["epoch"], "epochs_run": len(history), "steps": self.global_step,
                "train_seconds": round(self.train_seconds), "resumes": self.resumes,
                **({"recipe_changes": self.recipe_changes} if self.recipe_changes else {}),
                "weights": "EMA" if self.ema is not None else "last step",
                "hardware": hardware_description(self.device), "amp": str(self.amp_dtype).replace("torch.", "") if self.amp_dtype else "off",
                "world_size": self.world, "started": self._start_wall,
                **({"initialized_from": self.parent} if self.parent else {}),
            },
            metrics={"validation_crops": record["val"], **({"train_crops": record["train"]} if "train" in record else {})},
            history=history,
        )

    def _save_state(self) -> None:
        if self.rank != 0:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        state = {
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "epoch": self.epoch,
            "batch": self.batch_in_epoch,
            "history": json.dumps(self.history),
            "best": json.dumps(self.best),
            "train_seconds": self.train_seconds,
            "resumes": self.resumes,
            **({"start_val": self.start_val} if self.start_val is not None else {}),
            "recipe_changes": json.dumps(self.recipe_changes),
            "config": self.config.identity(),
        }
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        ckpt.save_state(self.out, state)
        self.progress("checkpoint", epoch=self.epoch, batch=self.batch_in_epoch, step=self.global_step, path=str(self.out / ckpt.STATE))

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


def _has_dilated_conv(model: torch.nn.Module) -> bool:
    return any(isinstance(m, torch.nn.Conv2d) and max(m.dilation) > 1 for m in model.modules())


def threading_is_not_main() -> bool:
    import threading

    return threading.current_thread() is not threading.main_thread()


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


def _only_adds_hint_input(saved: dict[str, Any], current: dict[str, Any]) -> bool:
    return {k: v for k, v in current.items() if k != "hint_input"} == saved and current.get("hint_input") is True


def _widen_optimizer_state(state: dict[str, Any], optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """A saved optimizer state whose per-parameter moments fit the (maybe widened) parameters."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for index, moments in state["state"].items():
        shape = tuple(params[int(index)].shape)
        for key, value in moments.items():
            if torch.is_tensor(value) and value.dim() >= 2:
                moments[key] = ckpt.widen_tensor(value, shape, f"optimizer moment {key} of parameter {index}")
    return state
