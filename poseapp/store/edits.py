"""Edits of a project as plain undoable operations: ``apply`` makes one (one committed
transaction), ``revert`` puts back the whole previous record and the frame's state. No Qt: the
window wraps each in a thin QUndoCommand (gui/commands.py); scripts and tests use them directly."""

from __future__ import annotations

import numpy as np

from poseapp.core.accepting import (
    DEFAULT_OCCLUDED_BELOW, MIN_SHARED_JOINTS, box_iou, extent, flags_from_visibility, merged_keypoints, same_person,
    shared_joints,
)
from poseapp.core.skeleton import skeleton_title
from poseapp.store.project import Project
from poseapp.store.records import CROP_BOX, WHOLE_IMAGE, Instance
from poseapp.store.removal import remove_frames, restore

VISIBILITY_CYCLE = {2: 1, 1: 0, 0: 2}  # visible -> occluded -> not labelled -> visible
VISIBILITY_NAMES = {0: "not labelled", 1: "occluded", 2: "visible"}
PLACED = "placed"  # instance.extra key: the joints the user put in place, which refinement never moves
FLAGGED = "flagged"  # instance.extra key: joints whose visibility flag the user set (accepting keeps them)
EDITED = "edited"  # instance.extra key: a prediction the user edited that stays a prediction (see claimed)


def placed_joints(instance: Instance) -> set[int]:
    """The joints the user placed. An annotation that predates the mark (imported, or made before
    it existed) counts all its labelled joints as placed, so refinement never moves them."""
    if PLACED in instance.extra:
        return {int(j) for j in instance.extra[PLACED]}
    if instance.origin == "manual":
        return {int(j) for j in np.flatnonzero(instance.keypoints[:, 2] > 0)}
    return set()


def with_placed(instance: Instance, joints: set[int]) -> dict:
    """The instance's ``extra`` with ``joints`` as its placed joints."""
    return {**instance.extra, PLACED: sorted(int(j) for j in joints)}


def claimed(project: Project, old: Instance, changes: dict) -> dict:
    """``changes`` to a record, plus what a user's edit of a model's prediction implies.

    An edited prediction becomes the user's annotation (as in SLEAP): no later model run replaces
    it, and export and fine-tuning see it. Its unplaced joints stay free for refinement. Where the
    frame already has an annotation of the same person, it stays a prediction marked edited (a
    model run still keeps it) and Accept decides which of the two is kept, since turning it into
    an annotation would add a second copy of that person.
    """
    if old.origin != "predicted" or "origin" in changes:
        return changes
    extra = changes.get("extra") or with_placed(old, placed_joints(old))
    if same_person(old.copy(**changes), project.instances(old.frame_id), any_skeleton=True):
        return {**changes, "extra": {**extra, EDITED: True}}
    return {**changes, "origin": "manual", "extra": extra}


def is_edited_prediction(instance: Instance) -> bool:
    """A prediction the user changed: marked edited, or (a project from before the mark) with
    joints the user placed."""
    return instance.origin == "predicted" and bool(instance.extra.get(EDITED) or instance.extra.get(PLACED))


def edited_prediction_count(project: Project) -> int:
    """Predictions the user edited that are not annotations yet (each lies on a person annotated
    already, see ``claimed``): export and fine-tuning leave them out until Accept takes them in."""
    return sum(is_edited_prediction(i) for i in project.iter_instances(origin="predicted"))


def mean_pose_people(project: Project) -> int:
    """People added with N in the skeleton's mean pose (no model could say) of whom no joint was
    dragged into place: their joints are a template, yet an export writes them as labelled."""
    return sum(i.model_id is None and PLACED in i.extra and not i.extra[PLACED] and bool((i.keypoints[:, 2] > 0).any())
               for i in project.iter_instances(origin="manual"))


MEAN_POSE_NOTE = ("{n} {people} added with N {are} still in the mean pose (no joint dragged into place): the export "
                  "writes {their} joints as labelled. Drag them into place or delete {them}.")


def mean_pose_note(n: int) -> str:
    one = n == 1
    return MEAN_POSE_NOTE.format(n=n, people="person" if one else "people", are="is" if one else "are",
                                 their="its" if one else "their", them="it" if one else "them")


# said wherever an edit leaves a prediction a prediction, so no correction is left behind unknowingly
STILL_A_PREDICTION = ("It stays a prediction beside this person's annotation (export and fine-tuning read annotations): "
                      "A puts your corrections into the annotation.")


class Edit:
    """One undoable change; ``text`` names it in the Edit menu."""

    text = "edit"

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def merge(self, other: "Edit") -> bool:
        """Absorb ``other``, the next edit, into this one (one undo step for both); False: keep apart."""
        return False

    def frame_id(self) -> int | None:
        """The frame this edit changes (None: several, or none), so an undo can show where it acted."""
        for record in (getattr(self, "old", None), getattr(self, "instance", None)):
            if record is not None:
                return record.frame_id
        return None


class _InstanceEdit(Edit):
    """Replace one instance's fields; undo restores the old record and the frame state. A user's
    edit of a prediction claims it (``claimed``); the model's own re-run (Refinement) does not."""

    claims = True

    def __init__(self, project: Project, instance_id: int, text: str, **changes):
        self.text = text
        self.project = project
        self.instance_id = instance_id
        self.old = project.instance(instance_id)
        self.old_state = project.frame(self.old.frame_id).state
        self.changes = claimed(project, self.old, changes) if self.claims else changes

    def apply(self) -> None:
        self.project.update_instance(self.instance_id, **self.changes)

    def amend(self, text: str, **changes) -> None:
        """More changes to the same record in the same step (a drag and the refinement it started)."""
        self.text = text
        self.changes = {**self.changes, **changes}

    def revert(self) -> None:
        with self.project.transaction():
            self.project.restore_instance(self.old)
            self.project.set_frame_state(self.old.frame_id, self.old_state)


class MoveKeypoint(_InstanceEdit):
    """A whole drag: pushed once, on mouse release. The joint is marked placed by the user."""

    def __init__(self, project: Project, instance_id: int, joint: int, x: float, y: float, joint_name: str = ""):
        inst = project.instance(instance_id)
        kps = inst.keypoints.copy()
        kps[joint, :2] = (x, y)
        if kps[joint, 2] == 0:
            kps[joint, 2] = 2  # placing a joint labels it
        extra = with_placed(inst, placed_joints(inst) | {joint})
        super().__init__(project, instance_id, f"move {joint_name or joint}", keypoints=kps, extra=extra)


class NudgeKeypoint(MoveKeypoint):
    """An arrow-key step; consecutive steps of one joint merge into one undo step."""

    def __init__(self, project: Project, instance_id: int, joint: int, dx: float, dy: float, joint_name: str = ""):
        x, y = project.instance(instance_id).keypoints[joint, :2]
        super().__init__(project, instance_id, joint, x + dx, y + dy, joint_name)
        self.text = f"nudge {joint_name or joint}"
        self.joint = joint

    def merge(self, other: Edit) -> bool:
        if not isinstance(other, NudgeKeypoint) or (other.instance_id, other.joint) != (self.instance_id, self.joint):
            return False
        # undo still restores the record from before the first step; redo makes all of them, the
        # first step's claim of a prediction included
        self.changes = {**self.changes, **other.changes}
        return True


class Refinement(_InstanceEdit):
    """The model's re-run on a person's free joints alone (the window's re-run key); the new
    keypoints and scores come in through ``amend``."""

    claims = False  # the model moving its own prediction is not a user's edit

    def __init__(self, project: Project, instance_id: int):
        super().__init__(project, instance_id, "refine person")


def _spot_for_unlabelled(project: Project, inst: Instance, joint: int) -> tuple[float, float] | None:
    """Where a not-labelled joint goes when a key labels it: None (where it stands) when that is in
    the picture; else, for the (0, 0) a file writes for a missing point (DeepLabCut's, SLEAP's empty
    cells) or a place off the picture, the middle of the person's box (or of their labelled joints),
    from where the user drags it. Labelling it at the picture's corner would export a false point."""
    x, y = inst.keypoints[joint, :2]
    frame = project.frame(inst.frame_id)
    if (x, y) != (0.0, 0.0) and 0 <= x < frame.width and 0 <= y < frame.height:
        return None
    box = extent(inst.keypoints, inst.bbox)
    if box is None:
        return frame.width / 2, frame.height / 2
    return box[0] + box[2] / 2, box[1] + box[3] / 2


class SetVisibility(_InstanceEdit):
    def __init__(self, project: Project, instance_id: int, joint: int, v: int, joint_name: str = ""):
        inst = project.instance(instance_id)
        kps = inst.keypoints.copy()
        spot = _spot_for_unlabelled(project, inst, joint) if v > 0 and inst.keypoints[joint, 2] == 0 else None
        if spot is not None:
            kps[joint, :2] = spot
        kps[joint, 2] = v
        placed = placed_joints(inst)
        if v == 0:  # not labelled: no longer a place the user gave
            placed -= {joint}
        elif inst.keypoints[joint, 2] == 0:  # labelled again, by the user, where it stands: refinement keeps it there
            placed |= {joint}
        extra = {**with_placed(inst, placed), FLAGGED: sorted({int(j) for j in inst.extra.get(FLAGGED, [])} | {joint})}
        changes = {"keypoints": kps, "extra": extra}
        where = " in the middle of the person's box (drag it into place)" if spot is not None else ""
        super().__init__(project, instance_id, f"{joint_name or joint}: {VISIBILITY_NAMES[v]}{where}", **changes)


class ConfirmJoint(_InstanceEdit):
    """The user says a joint is right where it is, with the flag it has (2 or 1 pressed again): it
    becomes placed, so a refinement after the next drag leaves it alone, as it does a dragged joint."""

    def __init__(self, project: Project, instance_id: int, joint: int, joint_name: str = ""):
        inst = project.instance(instance_id)
        extra = {**with_placed(inst, placed_joints(inst) | {joint}),
                 FLAGGED: sorted({int(j) for j in inst.extra.get(FLAGGED, [])} | {joint})}
        super().__init__(project, instance_id, f"{joint_name or joint}: confirmed where it is", extra=extra)


class SetBox(_InstanceEdit):
    def __init__(self, project: Project, instance_id: int, bbox: tuple[float, float, float, float]):
        extra = {k: v for k, v in project.instance(instance_id).extra.items() if k not in (CROP_BOX, WHOLE_IMAGE)}
        # a box the user drew is the person's box from now on (no longer a model's crop)
        super().__init__(project, instance_id, "re-box instance", bbox=tuple(float(v) for v in bbox), extra=extra)


class AcceptPrediction(Edit):
    """A predicted instance becomes an annotation, in one step: it replaces the annotation of the
    same person (instead of adding a copy), and each joint's flag comes from the model's
    visibility score (occluded below ``occluded_below``). The scores stay for the occlusion view.

    When the person is annotated in another skeleton only (an LSP-14 model's prediction on a
    COCO-17 person), the joints the two share by name go into that annotation and the prediction
    is removed: the person stays one annotation in the dataset's skeleton, its other joints (the
    COCO face) untouched.

    A prediction the user corrected (joints they placed or flagged) on a person annotated already
    brings only those joints into the annotation, in either skeleton: the annotation's other joints
    are a person's labels, and the model's guesses (a refinement moves a dozen after one drag) must
    not overwrite them, nor label what the annotation leaves unlabelled. An unedited prediction
    still replaces the annotation: taking the model's pose is what A on it asks."""

    def __init__(self, project: Project, instance_id: int, occluded_below: float = DEFAULT_OCCLUDED_BELOW):
        self.project = project
        self.old = project.instance(instance_id)
        self.old_state = project.frame(self.old.frame_id).state
        overlapping = same_person(self.old, project.instances(self.old.frame_id), any_skeleton=True)
        self.replaced = [i for i in overlapping if i.skeleton == self.old.skeleton]
        others = [i for i in overlapping if i.skeleton != self.old.skeleton]
        self.keypoints = flags_from_visibility(self.old.keypoints, self.old.vis_scores, occluded_below)
        for j in self.old.extra.get(FLAGGED, []):  # a flag the user set is theirs, not the model's score's
            self.keypoints[int(j), 2] = self.old.keypoints[int(j), 2]
        # the joints the user gave the prediction: placed (dragged, confirmed) or flagged
        self.user_joints = placed_joints(self.old) | {int(j) for j in self.old.extra.get(FLAGGED, [])}
        if self.replaced and self.user_joints:  # a correction on top of a person's labels: those joints only
            self.target, self.merged = self._corrections_into(max(self.replaced, key=self._overlap))
            self.replaced = []
        else:
            self.target, self.merged = self._merge_target(others) if not self.replaced else (None, None)
        # an annotation of the person in a skeleton too different to merge into is kept beside it
        self.kept = [i for i in others if self.target is None]
        self.new_person = self._in_frame_skeleton() if not overlapping else None
        if self.target is not None and self.user_joints:  # a correction went in (_correction_pairs)
            mine = sum(i in self.user_joints for i, _ in self.pairs)
            model = len(self.pairs) - mine
            self.text = (f"accept your correction{'s' if mine != 1 else ''} ({mine} joint{'s' if mine != 1 else ''}) into the "
                         f"{skeleton_title(self.target.skeleton)} annotation"
                         + (f", and the model's {model} where it had a model's" if model else "")
                         + "; the joints a person labelled stay")
        elif self.target is not None:
            self.text = self._merge_text()
        elif self.new_person is not None:
            self.text = self._merge_text(self.new_person.skeleton, new=True)
        else:
            self.text = "accept prediction" + (" (replacing the annotation)" if self.replaced else "") + (
                f" (the {skeleton_title(self.kept[0].skeleton)} annotation of this person is kept too)" if self.kept else "")
        self.refusal = self._second_skeleton() if self.target is None and self.new_person is None else None

    def _second_skeleton(self) -> str | None:
        """Why accepting is refused, when it would give the project's annotations a skeleton none of
        them has (a COCO-17 model's prediction in a project labelled in a 5-joint skeleton of the
        user's own, the two sharing too few joints by name to write one into the other): the
        project's export would gain a second category and fine-tuning would skip the person."""
        annotated = self.project.annotated_skeletons() or {self.project.annotated_skeleton()} - {None}
        if not annotated or self.old.skeleton in annotated:
            return None
        source = self.project.skeleton(self.old.skeleton).joints
        best = max(annotated, key=lambda s: len(shared_joints(source, self.project.skeleton(s).joints)))
        shared = len(shared_joints(source, self.project.skeleton(best).joints))
        return (f"This {skeleton_title(self.old.skeleton)} prediction cannot be accepted into this project's "
                f"{skeleton_title(best)} annotations: the skeletons share {shared} joint{'s' if shared != 1 else ''} by name "
                f"(accepting writes the shared ones, and needs at least {MIN_SHARED_JOINTS}). Run a model of the "
                f"{skeleton_title(best)} skeleton (Retrain makes one from these annotations), or label the person with N.")

    def _overlap(self, other: Instance) -> float:
        return box_iou(extent(self.old.keypoints, self.old.bbox), extent(other.keypoints, other.bbox))

    def _corrections_into(self, target: Instance) -> tuple[Instance, Instance]:
        """The same-skeleton annotation and what it becomes with the corrected prediction."""
        pairs = self._correction_pairs([(j, j) for j in range(len(self.old.keypoints))], target)
        return target, self._merged_into(target, pairs)

    def _correction_pairs(self, pairs: list[tuple[int, int]], target: Instance) -> list[tuple[int, int]]:
        """Of the (prediction joint, annotation joint) pairs, those a correction writes: the joints
        the user gave the prediction, and the model's where the annotation's joint is a model's too
        (labelled, not placed by a person); a person's labels, and what they left unlabelled, stay."""
        human = placed_joints(target)
        return [(i, j) for i, j in pairs if i in self.user_joints or (target.keypoints[j, 2] > 0 and j not in human)]

    def _merged_into(self, target: Instance, pairs: list[tuple[int, int]]) -> Instance:
        self.pairs = pairs
        taken = {j for i, j in pairs if self.keypoints[i, 2] > 0}
        placed_here = {j for i, j in pairs if i in placed_joints(self.old) and j in taken}
        placed = (placed_joints(target) - taken) | placed_here  # model joints are free for refinement
        return target.copy(keypoints=merged_keypoints(self.keypoints, target.keypoints, pairs),
                           extra=with_placed(target, placed))

    def _merge_target(self, others: list[Instance]) -> tuple[Instance | None, Instance | None]:
        """The other-skeleton annotation that overlaps most, and what it becomes with the prediction's shared joints."""
        source = self.project.skeleton(self.old.skeleton).joints
        pbox = extent(self.old.keypoints, self.old.bbox)
        for target in sorted(others, key=lambda i: -box_iou(pbox, extent(i.keypoints, i.bbox))):
            pairs = shared_joints(source, self.project.skeleton(target.skeleton).joints)
            if len(pairs) < MIN_SHARED_JOINTS:
                continue
            if self.user_joints:  # a correction: a person's labels in the annotation stay
                pairs = self._correction_pairs(pairs, target)
            return target, self._merged_into(target, pairs)
        return None, None

    def _in_frame_skeleton(self) -> Instance | None:
        """A person nobody annotated yet, on a frame whose people are annotated in another skeleton
        (a COCO-17 dataset): the prediction becomes a new annotation in that skeleton, by the
        joints the two share, so the dataset keeps one skeleton (its export one category)."""
        manual = [i for i in self.project.instances(self.old.frame_id) if i.origin == "manual"]
        others = {i.skeleton: i for i in manual}
        if len(others) != 1 or self.old.skeleton in others:  # people of the model's own skeleton here: stay in it
            return None
        (skeleton, example), = others.items()
        target = self.project.skeleton(skeleton)
        pairs = shared_joints(self.project.skeleton(self.old.skeleton).joints, target.joints)
        if len(pairs) < MIN_SHARED_JOINTS:
            return None
        self.pairs = pairs
        placed = {j for i, j in pairs if i in placed_joints(self.old) and self.keypoints[i, 2] > 0}
        return Instance(self.old.frame_id, skeleton, merged_keypoints(self.keypoints, np.zeros((target.num_joints, 3)), pairs),
                        bbox=self.old.bbox, origin="manual", category_id=example.category_id, model_id=self.old.model_id,
                        extra={PLACED: sorted(placed), **{k: v for k, v in self.old.extra.items() if k in ("track_id", CROP_BOX)}})

    def _merge_text(self, skeleton: str | None = None, new: bool = False) -> str:
        skeleton = skeleton or self.target.skeleton
        source = self.project.skeleton(self.old.skeleton).joints
        left = [source[i].replace("_", " ") for i in range(len(source)) if i not in {i for i, _ in self.pairs}]
        title = skeleton_title(skeleton)
        into = f"as a new {title} annotation, as this frame's people are" if new else f"into the {title} annotation"
        return (f"accept prediction {into} ({len(self.pairs)} of {len(source)} "
                "joints by name" + (f"; {', '.join(left)} have no {title} joint" if left else "") + ")")

    def apply(self) -> None:
        if self.refusal is not None:  # the window says it and makes no edit; a script is stopped
            raise ValueError(self.refusal)
        with self.project.transaction():
            if self.target is not None:
                self.project.update_instance(self.target.id, keypoints=self.merged.keypoints, extra=self.merged.extra)
                self.project.delete_instance(self.old.id, frame_state=None)
                return
            if self.new_person is not None:
                self.project.delete_instance(self.old.id, frame_state=None)
                self.new_person = self.project.add_instance(self.new_person)  # its id kept for redo
                return
            for inst in self.replaced:
                self.project.delete_instance(inst.id, frame_state=None)
            # the dataset's own annotation of the person it replaces keeps its name there: its id
            # (an export writes the COCO annotation id back, linking it to the file it came from)
            # and its category
            named = next((i for i in self.replaced if i.ext_id is not None), None)
            identity = {"ext_id": named.ext_id, "category_id": named.category_id} if named and self.old.ext_id is None else {}
            # the joints the user placed stay placed; the rest stay free for refinement
            self.project.update_instance(self.old.id, origin="manual", keypoints=self.keypoints,
                                         extra=with_placed(self.old, placed_joints(self.old)), **identity)

    def revert(self) -> None:
        with self.project.transaction():
            if self.target is not None:
                self.project.restore_instance(self.target)
                self.project.add_instance(self.old, frame_state=None)  # same id as before
            elif self.new_person is not None:
                self.project.delete_instance(self.new_person.id, frame_state=None)
                self.project.add_instance(self.old, frame_state=None)
            else:
                self.project.restore_instance(self.old)
                for inst in self.replaced:
                    self.project.add_instance(inst, frame_state=None)  # same id as before
            self.project.set_frame_state(self.old.frame_id, self.old_state)


class DeleteInstance(Edit):
    def __init__(self, project: Project, instance_id: int):
        self.text = "delete instance"
        self.project = project
        self.instance = project.instance(instance_id)
        self.old_state = project.frame(self.instance.frame_id).state

    def apply(self) -> None:
        self.project.delete_instance(self.instance.id)

    def revert(self) -> None:
        with self.project.transaction():
            self.project.add_instance(self.instance, frame_state=None)  # same id as before
            self.project.set_frame_state(self.instance.frame_id, self.old_state)


def _new_track(project: Project, frame_id: int) -> dict:
    """A person added on a video frame gets an id of their own (after every id in the video), so
    the track tools (merge into the walker's id, swap, split) can take them; photos have no tracks.
    Chosen when the edit is made, so a redo gives the same id back."""
    source = project.source(project.frame(frame_id).source_id)
    return {"track_id": project.max_track_id(source.id) + 1} if source.kind == "video" else {}


class ClearPredictions(Edit):
    """Every prediction on a frame that nobody edited, gone in one step: what an earlier run found
    and a later one (a higher threshold, a larger smallest person) no longer does stays until the
    user clears it, since a run removes only the people it predicts again."""

    def __init__(self, project: Project, frame_id: int):
        self.project, self.target_frame_id = project, frame_id
        self.instances = [i for i in project.instances(frame_id) if i.origin == "predicted" and not is_edited_prediction(i)]
        self.text = f"clear {len(self.instances)} {'prediction' if len(self.instances) == 1 else 'predictions'}"
        self.old_state = project.frame(frame_id).state

    def frame_id(self) -> int | None:
        return self.target_frame_id

    def apply(self) -> None:
        with self.project.transaction():
            for inst in self.instances:
                self.project.delete_instance(inst.id, frame_state=None)
            if self.old_state == "predicted" and not self.project.instances(self.target_frame_id):
                self.project.set_frame_state(self.target_frame_id, "unlabelled")  # nothing predicted is left

    def revert(self) -> None:
        with self.project.transaction():
            for inst in self.instances:
                self.project.add_instance(inst, frame_state=None)  # same ids as before
            self.project.set_frame_state(self.target_frame_id, self.old_state)


class AddInstance(Edit):
    """A new person: a box, with its joints laid out as the skeleton's mean pose inside it (to drag into place)."""

    def __init__(self, project: Project, frame_id: int, skeleton: str, bbox: tuple[float, float, float, float],
                 template: np.ndarray | None = None, keypoints: np.ndarray | None = None,
                 model_pose: tuple[np.ndarray, np.ndarray, str] | None = None):
        """``template``: (K, 2) box fractions (see core.mean_pose); or the placed ``keypoints`` (K, 3);
        or ``model_pose``: (keypoints (K, 3), joint scores (K,), model id) a model predicted in the
        drawn box, none of them placed (refinement may move them all)."""
        self.text = "add instance" if model_pose is None else f"add a person ({model_pose[2]}'s pose)"
        if model_pose is not None:
            kps, scores, model_id = model_pose
            self.instance = Instance(frame_id, skeleton, np.asarray(kps, dtype=np.float64), bbox=bbox, origin="manual",
                                     model_id=model_id, joint_scores=np.asarray(scores, dtype=np.float64),
                                     extra={PLACED: [], **_new_track(project, frame_id)})
            self.old_state = project.frame(frame_id).state
            self.project = project
            return
        self.project = project
        k = project.skeleton(skeleton).num_joints
        x, y, w, h = bbox
        placed: set[int] = set()  # the mean pose is a starting point: refinement may move all of it
        if keypoints is not None:
            kps = np.asarray(keypoints, dtype=np.float64)
            placed = {int(j) for j in np.flatnonzero(kps[:, 2] > 0)}  # clicked one by one
        else:
            if template is None:  # a column of joints down the box's middle, all visible
                template = np.column_stack([np.full(k, 0.5), (np.arange(k) + 0.5) / k])
            kps = np.column_stack([x + template[:, 0] * w, y + template[:, 1] * h, np.full(k, 2.0)])
        # joints placed one by one come with a box made from them, not drawn: it follows them (CROP_BOX)
        extra = {PLACED: sorted(placed), **({CROP_BOX: True} if keypoints is not None else {}), **_new_track(project, frame_id)}
        self.instance = Instance(frame_id, skeleton, kps, bbox=bbox, origin="manual", extra=extra)
        self.old_state = project.frame(frame_id).state

    def apply(self) -> None:
        self.instance = self.project.add_instance(self.instance)

    def revert(self) -> None:
        with self.project.transaction():
            self.project.delete_instance(self.instance.id, frame_state=None)
            self.project.set_frame_state(self.instance.frame_id, self.old_state)


class SetFrameState(Edit):
    def __init__(self, project: Project, frame_id: int, state: str):
        self.text = f"mark frame {state}"
        self.project, self.target_frame_id, self.state = project, frame_id, state
        self.old_state = project.frame(frame_id).state

    def apply(self) -> None:
        self.project.set_frame_state(self.target_frame_id, self.state)

    def revert(self) -> None:
        self.project.set_frame_state(self.target_frame_id, self.old_state)

    def frame_id(self) -> int | None:
        return self.target_frame_id


class RemoveFrames(Edit):
    """Frames (or a whole source) out of the project with their people; undo puts back the very rows."""

    def __init__(self, project: Project, frame_ids: list[int], text: str):
        self.text = text
        self.project, self.frame_ids = project, list(frame_ids)
        self.removed = None

    def apply(self) -> None:
        self.removed = remove_frames(self.project, self.frame_ids)

    def revert(self) -> None:
        restore(self.project, self.removed)


class ModelRun(Edit):
    """A model run's predictions, one undo step however many frames it covered: undo takes out
    the predictions it stored and puts back the ones it replaced (with their ids, so the edits
    below it on the stack still find them), redo does the run's changes again without the model.

    The run has already written when this is made (``frames``: per frame, the records it
    replaced, those it stored and the frame's state before). A record the user changed since
    (an edit made while a long run went on) is left as it is, and so is its frame's state.
    """

    def __init__(self, project: Project, text: str, frames: list[tuple[int, str, list[Instance], list[Instance]]]):
        self.project, self.text = project, text
        self.frames = [(fid, old_state, list(replaced), list(stored)) for fid, old_state, replaced, stored in frames]
        self.new_states = {fid: project.frame(fid).state for fid, *_ in self.frames if project.frame_exists(fid)}

    def apply(self) -> None:
        with self.project.transaction():
            for fid, _, replaced, stored in self.frames:
                if self.project.frame_exists(fid) and self._swap(fid, remove=replaced, put_back=stored):
                    self.project.set_frame_state(fid, self.new_states.get(fid, "predicted"))

    def revert(self) -> None:
        with self.project.transaction():
            for fid, old_state, replaced, stored in self.frames:
                if self.project.frame_exists(fid) and self._swap(fid, remove=stored, put_back=replaced):
                    self.project.set_frame_state(fid, old_state)

    def _swap(self, frame_id: int, remove: list[Instance], put_back: list[Instance]) -> bool:
        """Take out the records of ``remove`` that are still as the run left them, put back those of
        ``put_back`` that are missing; True when nothing on the frame had changed since."""
        current = {inst.id: inst for inst in self.project.instances(frame_id)}
        untouched = True
        for record in remove:
            now = current.get(record.id)
            if now is not None and now.same_as(record):
                self.project.delete_instance(record.id, frame_state=None)
            else:
                untouched = False
        for record in put_back:
            if record.id not in current:
                self.project.add_instance(record, frame_state=None)  # same id as before
        return untouched

    def frame_id(self) -> int | None:
        return self.frames[0][0] if len(self.frames) == 1 else None


def next_visibility(v: int) -> int:
    return VISIBILITY_CYCLE[int(v)]
