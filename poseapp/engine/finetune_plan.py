"""What a fine-tuning run on a project will train and validate on, said before it starts: the
people of the model's skeleton, a held-out validation set big enough to mean something, every
annotated person that is skipped, with the reason; when the project labels another skeleton than
the model's, the offer (a model of the project's skeleton, which joints start fresh and which are
kept); and how long an epoch takes here, from a few real training steps (engine/finetune_run.py)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from poseapp.core.accepting import shared_joints
from poseapp.core.errors import PoseAppError
from poseapp.core.skeleton import PRESETS, infer_flip_pairs, skeleton_title
from poseapp.data.samples import in_skeleton, load_samples
from poseapp.data.splits import holdout_every, training_split
from poseapp.engine.model_folder import read_card

# Fine-tuning defaults, measured on a COCO-17 project of coco_mini_train's 69 training people
# (bench/coco_finetune.py, bench/RESULTS.md session 10): 10 epochs at 2e-4 (50 steps) left 4.69
# corrections per held-out person with flip test, 30 epochs at 5e-4 (150 steps) 4.17. A small
# project needs enough optimizer steps, not a fixed number of passes: by default an epoch count
# that makes at least MIN_STEPS steps, from MIN_EPOCHS to MAX_AUTO_EPOCHS.
DEFAULT_LR = 5e-4
MIN_STEPS = 150
MIN_EPOCHS, MAX_AUTO_EPOCHS = 10, 30


def auto_epochs(train_people: int, batch_size: int) -> int:
    """The default epoch count of a fine-tune on ``train_people`` at ``batch_size``."""
    steps = max(1, -(-max(train_people, 1) // batch_size))
    return int(min(MAX_AUTO_EPOCHS, max(MIN_EPOCHS, -(-MIN_STEPS // steps))))


MIN_VALIDATION = 3
MIN_TRAINING = 8
UNCHECKED = "accepted predictions with no joint corrected"  # the plan's line about them, found by the panel
MIN_PEOPLE = MIN_TRAINING + MIN_VALIDATION  # 11: every 5th of 11 held out is 3 (the 1st, 6th, 11th)


@dataclass
class FinetunePlan:
    skeleton: str
    train: int = 0
    val: int = 0
    skipped: list[str] = field(default_factory=list)  # one line per frame with skipped people: where and why
    skipped_people: int = 0
    problem: str | None = None  # why the run cannot start, or None
    val_joints: int = 0  # labelled joints of the held-out people: PCK counts joints, not people
    held_out: str = ""  # which people are held out: LSP's validation images, or every Nth sample
    val_unchecked: int = 0  # held-out people who are accepted predictions nobody corrected
    mapped: dict[str, int] = field(default_factory=dict)  # people of other skeletons taken by shared joint names
    # a transfer: the project's people are of another skeleton than the model's, so the run trains
    # a model of theirs from this one (engine/transfer.py); its new joints and each joint's labels
    transfer_from: str | None = None
    new_joints: tuple[str, ...] = ()
    joint_labels: dict[str, int] = field(default_factory=dict)
    skeleton_data: dict | None = None  # the project's skeleton, when it is no preset
    model_name: str = ""  # the model the run starts from (its folder's name)
    batch_size: int = 16  # people per training step, as the run will use
    timing: "EpochTiming | None" = None  # a few training steps measured here (plan_finetune(measure=True))
    timing_problem: str | None = None  # why they could not be measured
    edited_predictions: int = 0  # corrections still in predictions (on annotated people): not trained on until accepted

    @property
    def kept_joints(self) -> int:
        """Joints of a transfer's new model that keep what the starting model learnt for them."""
        return len(self.joint_labels) - len(self.new_joints)

    def epoch_seconds(self) -> float | None:
        """One epoch as the run does it: its training steps, then the validation pass (the held-out
        people and the trainer's fixed sample of up to TRAIN_EVAL training people), at the measured speed."""
        if self.timing is None or not self.train:
            return None
        # a step's cost grows with its people; the epoch's last step holds the remainder
        steps = self.train / self.timing.batch_size
        evaluated = self.val + min(TRAIN_EVAL, self.train)
        return steps * self.timing.step_s + evaluated * self.timing.eval_s

    def summary(self) -> str:
        """What the run uses, the reason it cannot start first when it cannot."""
        verb = ("Would train", "would validate", "Would skip") if self.problem else ("Trains", "validates", "Skips")
        lines = [self.problem] if self.problem else []
        if self.transfer_from:
            lines.append(self._transfer_line())
        who = "people" if self.mapped else f"{self.skeleton} people"  # not all of them lsp14: said below
        steps = (f"so PCK moves in steps of {100 / self.val_joints:.2g}" if self.val_joints
                 else "so there is no validation PCK until someone held out is annotated")
        lines.append(f"{verb[0]} on {self.train} annotated {who}; {verb[1]} on {self.val} held out "
                     f"({self.held_out or f'every {holdout_every(self.train + self.val)}th'}; {self.val_joints} labelled joints, {steps}).")
        for other, n in self.mapped.items():
            shared = len(shared_joints(PRESETS[other].joints, PRESETS[self.skeleton].joints))
            lines.append(f"{n} of these {self.train + self.val} {'is a' if n == 1 else 'are'} {other} "
                         f"{'person' if n == 1 else 'people'}: the {self.skeleton} model learns from the {shared} joints "
                         f"{other} shares with it by name.")
        if self.val_unchecked:
            lines.append(f"{self.val_unchecked} of the {self.val} held-out people are {UNCHECKED}: on them "
                         "validation PCK measures agreement with a model, not accuracy.")
        if self.edited_predictions:
            n = self.edited_predictions
            lines.append(f"{n} {'prediction' if n == 1 else 'predictions'} you corrected {'is' if n == 1 else 'are'} not trained on: "
                         f"{'it lies' if n == 1 else 'each lies'} on a person annotated already and stays a prediction until "
                         "accepted (select it, A), which puts your corrections into the annotation.")
        if self.skipped:
            lines.append(f"{verb[2]} {self.skipped_people}: " + "; ".join(self.skipped[:4]) + (" ..." if len(self.skipped) > 4 else ""))
        if not self.problem and (self.timing is not None or self.timing_problem):
            lines.append(self.time_line())
        return "\n".join(lines)

    def time_line(self) -> str:
        """How long an epoch takes here, from the measured steps (or why that is not known)."""
        seconds = self.epoch_seconds()
        if seconds is None:
            return f"Time per epoch: not measured ({self.timing_problem or 'no training people'})."
        t = self.timing
        steps = math.ceil(self.train / t.batch_size)
        where = "this CPU" if t.device == "cpu" else t.device
        return (f"Time per epoch on {where}: about {_duration(seconds)} ({self.train} people in {steps} "
                f"step{'s' if steps != 1 else ''}: {t.step_s:.2f} s a step of {t.batch_size}, measured here with "
                f"{t.threads} thread{'s' if t.threads != 1 else ''}; then scoring the {self.val} held-out people and "
                f"{min(TRAIN_EVAL, self.train)} of the training people, to tell underfitting from overfitting).")

    def _transfer_line(self) -> str:
        """The offer, said outright: a model of the project's skeleton, which joints start fresh and
        which keep what the starting model learnt, and which have too few labels to learn."""
        title = skeleton_title(self.skeleton)
        start = self.model_name or f"the {skeleton_title(self.transfer_from)} model"
        if self.new_joints:
            shown = ", ".join(self.new_joints[:8]) + (", ..." if len(self.new_joints) > 8 else "")
            new = f"{len(self.new_joints)} new joint{'s' if len(self.new_joints) != 1 else ''} ({shown}) start fresh"
        else:
            new = "no new joints"
        origin = f"{start} ({skeleton_title(self.transfer_from)})" if self.model_name else start
        line = f"A {title} model for this project, started from {origin}: {new}; {self.kept_joints} kept from {start}."
        # a kept joint adapts what the model knows; a new one is learnt from these labels alone
        few = [f"{j} ({self.joint_labels.get(j, 0)})" for j in self.new_joints if self.joint_labels.get(j, 0) < FEW_LABELS]
        if few:
            line += (f" Too few labels to learn (under {FEW_LABELS} labelled people each): {', '.join(few[:8])}"
                     + (f" and {len(few) - 8} more" if len(few) > 8 else "") + ".")
        return line


@dataclass(frozen=True)
class EpochTiming:
    """A fine-tuning run's speed measured on this machine: seconds per training step of
    ``batch_size`` people and per person validated, with the threads and device the run uses."""

    step_s: float
    eval_s: float
    batch_size: int
    threads: int
    device: str

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "EpochTiming":
        return cls(float(data["step_s"]), float(data["eval_s"]), int(data["batch_size"]), int(data["threads"]),
                   str(data["device"]))


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# A joint fewer people than this label is unlikely to be learnt by a fine-tuning run (SLEAP starts
# from 50-100 labelled frames; DeepLabCut reaches human accuracy from about 200).
FEW_LABELS = 20
TRAIN_EVAL = 200  # training people the trainer evaluates each epoch (TrainConfig.train_eval's default)


def target_skeleton(project_path: str | Path, model_skeleton: str):
    """The skeleton a fine-tuning run on the project trains: the one most of its annotated people
    have (a transfer when that is not the model's), else the model's own."""
    from poseapp.store import Project

    with Project.open(project_path, read_only=True) as project:
        name = project.annotated_skeleton()
        if name is None or name == model_skeleton:
            return None
        skeleton = project.skeleton(name)
    if not skeleton.flip_pairs:  # a file that gave none (SLEAP without symmetries): sides from the names,
        # so a mirrored training crop swaps wingL and wingR instead of teaching them swapped
        skeleton = replace(skeleton, flip_pairs=infer_flip_pairs(skeleton.joints))
    return skeleton


def _edited_predictions(project_path: str | Path) -> int:
    from poseapp.store import Project
    from poseapp.store.edits import edited_prediction_count

    with Project.open(project_path, read_only=True) as project:
        return edited_prediction_count(project)


def plan_finetune(project_path: str | Path, model_path: str | Path, batch_size: int = 16, threads: int | None = None,
                  measure: bool = False) -> FinetunePlan:
    """The plan of fine-tuning ``model_path`` on the project. ``measure``: time a few real training
    steps at ``batch_size`` with ``threads`` (None: torch's default), as the run will train (about
    a second or two on a CPU), for the time per epoch; ``timing_problem`` says why when it cannot."""
    skeleton = read_card(model_path)["skeleton"]["name"]
    samples = load_samples(f"project:{project_path}")
    target = target_skeleton(project_path, skeleton)
    if target is not None:
        model_joints = set(read_card(model_path)["skeleton"]["joints"])
        plan = FinetunePlan(target.name, transfer_from=skeleton,
                            new_joints=tuple(j for j in target.joints if j not in model_joints),
                            skeleton_data=None if target.name in PRESETS else target.to_dict())
        mine = [s for s in samples if s.skeleton == target.name]
        plan.joint_labels = {j: int(sum(s.keypoints[k, 2] > 0 for s in mine)) for k, j in enumerate(target.joints)}
        skeleton = target.name
    else:
        plan = FinetunePlan(skeleton)
    usable, skipped, plan.mapped = in_skeleton(samples, skeleton)
    plan.edited_predictions = _edited_predictions(project_path)
    other = Counter((s.key.split(":", 1)[1].split("#")[0], s.skeleton) for s in skipped)
    plan.skipped = [f"{n} {skel} {'person' if n == 1 else 'people'} in {where} (the model predicts {skeleton})"
                    for (where, skel), n in other.items()]
    plan.skipped_people = sum(other.values())
    if usable:
        train, val, plan.held_out = training_split(usable)  # as the trainer will split them
        plan.train, plan.val = len(train), len(val)
        plan.val_joints = int(sum((s.keypoints[:, 2] > 0).sum() for s in val))
        plan.val_unchecked = sum(s.unchecked for s in val)
    if usable and len(usable) >= MIN_PEOPLE and plan.train < MIN_TRAINING:
        plan.problem = (f"Fine-tuning needs at least {MIN_TRAINING} annotated people to train on; of this project's "
                        f"{len(usable)} that the {skeleton} model can learn from, {plan.val} are LSP validation images (im0801-im1000), which no model "
                        f"trains on, so {plan.train} are left. Annotate or accept more predictions first.")
    if len(usable) < MIN_PEOPLE:
        plan.problem = (f"Fine-tuning needs at least {MIN_PEOPLE} annotated people that the {skeleton} model can learn "
                        f"from ({MIN_TRAINING} to train on and {MIN_VALIDATION} to validate on); this project has {len(usable)}. "
                        "Annotate or accept more predictions first.")
    plan.model_name, plan.batch_size = Path(model_path).name, batch_size
    if measure and not plan.problem:
        from poseapp.engine.finetune_run import measure_epoch_timing  # torch: only when asked

        try:
            plan.timing = measure_epoch_timing(model_path, project_path, plan, usable, threads)
        except (PoseAppError, OSError, RuntimeError, ValueError) as exc:  # the plan stands without it
            plan.timing_problem = f"the training steps could not be timed: {exc}"
    return plan
