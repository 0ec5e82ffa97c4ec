"""What a fine-tuning run on a project will train and validate on, said before it starts: the
people of the model's skeleton, a held-out validation set big enough to mean something, and
every annotated person that is skipped, with the reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from poseapp.core.accepting import shared_joints
from poseapp.core.skeleton import PRESETS, infer_flip_pairs
from poseapp.data.samples import in_skeleton, load_samples
from poseapp.data.splits import holdout_every, training_split
from poseapp.engine.model_folder import read_card

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

    def summary(self) -> str:
        """What the run uses, the reason it cannot start first when it cannot."""
        verb = ("Would train", "would validate", "Would skip") if self.problem else ("Trains", "validates", "Skips")
        lines = [self.problem] if self.problem else []
        if self.transfer_from:
            lines.append(self._transfer_line())
        who = "people" if self.mapped else f"{self.skeleton} people"  # not all of them lsp14: said below
        lines.append(f"{verb[0]} on {self.train} annotated {who}; {verb[1]} on {self.val} held out "
                     f"({self.held_out or f'every {holdout_every(self.train + self.val)}th'}; {self.val_joints} labelled joints, so PCK moves "
                     f"in steps of {100 / max(self.val_joints, 1):.1f}).")
        for other, n in self.mapped.items():
            shared = len(shared_joints(PRESETS[other].joints, PRESETS[self.skeleton].joints))
            lines.append(f"{n} of these {self.train + self.val} {'is a' if n == 1 else 'are'} {other} "
                         f"{'person' if n == 1 else 'people'}: the {self.skeleton} model learns from the {shared} joints "
                         f"{other} shares with it by name.")
        if self.val_unchecked:
            lines.append(f"{self.val_unchecked} of the {self.val} held-out people are {UNCHECKED}: on them "
                         "validation PCK measures agreement with a model, not accuracy.")
        if self.skipped:
            lines.append(f"{verb[2]} {self.skipped_people}: " + "; ".join(self.skipped[:4]) + (" ..." if len(self.skipped) > 4 else ""))
        return "\n".join(lines)

    def _transfer_line(self) -> str:
        new = (f"{len(self.new_joints)} new joint{'s' if len(self.new_joints) != 1 else ''} "
               f"({', '.join(j.replace('_', ' ') for j in self.new_joints)})" if self.new_joints else "no new joints")
        few = [j.replace("_", " ") for j, n in self.joint_labels.items() if n < FEW_LABELS]
        line = f"A {self.skeleton} model for this project, from the {self.transfer_from} model: {new}."
        if few:
            line += (f" Too few labels to learn (under {FEW_LABELS} people each): {', '.join(few[:8])}"
                     + (" ..." if len(few) > 8 else "") + ".")
        return line


# A joint fewer people than this label is unlikely to be learnt by a fine-tuning run (SLEAP starts
# from 50-100 labelled frames; DeepLabCut reaches human accuracy from about 200).
FEW_LABELS = 20


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


def plan_finetune(project_path: str | Path, model_path: str | Path) -> FinetunePlan:
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
    return plan
