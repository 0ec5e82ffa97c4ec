"""A fine-tuning run as `poseapp finetune` starts it: its training config (the starting model's
recipe, on the project's people, a model of the project's skeleton when it is another), and its
speed on this machine, measured by a few real training steps of that run before it starts.

The speed is measured, not guessed: the run's own trainer is set up on a few of the project's
people (the same model, transfer, loss, hints, autocast and augmentation) and times its steps at
the run's batch size with the threads this process trains with. About two seconds on a 2-core CPU.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch

from poseapp.data.samples import PoseSample
from poseapp.data.splits import training_split
from poseapp.engine.evaluate import evaluate_crops
from poseapp.engine.finetune_plan import DEFAULT_LR, EpochTiming, FinetunePlan, auto_epochs
from poseapp.engine.model_folder import read_card
from poseapp.engine.train_config import TrainConfig

TIMED_STEPS = 2  # after one warm-up step (its first-call allocations and kernel choices are not the run's pace)


def finetune_config(model: str | Path, project: str | Path, plan: FinetunePlan, epochs: int | None = None, lr: float = DEFAULT_LR,
                    batch_size: int = 16, max_minutes: float | None = None, rotation: float | None = None) -> TrainConfig:
    """The training config of fine-tuning ``model`` on ``project`` as ``plan`` says (``epochs``
    None: ``auto_epochs`` of the plan's training people). ``rotation``
    (degrees, +-) replaces the augmentation's rotation range: 180 for animals seen from above,
    which face every way."""
    card = read_card(model)
    base = card.get("training", {}).get("config", {})
    if epochs is None:
        epochs = auto_epochs(plan.train, batch_size)
    overrides = dict(base.get("model_overrides", {}))
    if plan.transfer_from:  # the project's skeleton: a model of it, started from this one by joint name
        overrides.update(skeleton=plan.skeleton, num_joints=len(plan.joint_labels))
        overrides["skeleton_data"] = plan.skeleton_data
    return TrainConfig.from_dict({
        "model": base.get("model", card["architecture"] + "-lite"),
        "model_overrides": overrides,
        "occlusion": base.get("occlusion", "include"),
        # a hint-trained model keeps learning to use corrections (issue #13), as it was trained
        "hints": base.get("hints", 0.0), "max_hints": base.get("max_hints", 7),
        "hint_worst": base.get("hint_worst", 0.0), "hint_limb_ends": base.get("hint_limb_ends", "truth"),
        "data": [f"project:{project}"], "init_from": str(model), "epochs": epochs, "lr": lr,
        "batch_size": batch_size, "warmup_steps": 20, "max_minutes": max_minutes,
        "augment": {} if rotation is None else {"rotation": rotation},
    })


def measure_epoch_timing(model: str | Path, project: str | Path, plan: FinetunePlan, samples: list[PoseSample],
                         threads: int | None = None) -> EpochTiming:
    """Seconds per training step and per validated person of the run ``plan`` describes, timed
    here on a few of ``samples`` (the project's people the run learns from)."""
    from poseapp.engine.trainer import Progress, Trainer  # the run's own trainer, so its steps are the run's

    train, _, _ = training_split(samples)
    few = (train or samples)[: 2 * plan.batch_size]  # which people does not change a step's cost
    config = finetune_config(model, project, plan, epochs=1, batch_size=plan.batch_size)
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        with tempfile.TemporaryDirectory(prefix="poseapp-timing-") as out:
            trainer = Trainer(config, out, progress=Progress(enabled=False), samples=few)
            trainer._setup()  # data, model (transferred when the skeleton differs), EMA, optimizer, loss
            trainer.phase, trainer.loss_kwargs = trainer._phase(0)
            trainer.model.train()
            trainer._set_trainable(trainer.phase)
            batch = [i % len(trainer.train_set) for i in range(plan.batch_size)]
            trainer._train_step(batch)
            start = time.perf_counter()
            for _ in range(TIMED_STEPS):
                trainer._train_step(batch)
            step_s = (time.perf_counter() - start) / TIMED_STEPS
            eval_s = _seconds_per_person_validated(trainer)
            used = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    return EpochTiming(round(step_s, 4), round(eval_s, 5), plan.batch_size, used, trainer.device.type)


def _seconds_per_person_validated(trainer) -> float:
    """The epoch's validation pass (the EMA weights on un-augmented crops), per person; the second
    of two passes, as the run's every epoch after the first."""
    shipped = trainer.ema.model if trainer.ema is not None else trainer.model
    dataset = trainer.train_eval_set if trainer.train_eval_set is not None else trainer.val_set
    evaluate_crops(shipped, dataset, trainer.device, trainer.amp_dtype)
    start = time.perf_counter()
    evaluate_crops(shipped, dataset, trainer.device, trainer.amp_dtype)
    return (time.perf_counter() - start) / max(len(dataset), 1)
