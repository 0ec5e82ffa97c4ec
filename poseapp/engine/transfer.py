"""Start a model of one skeleton from a trained model of another (transfer learning).

The image layers are copied as they are. The layers whose channels are the skeleton's maps (a
model names them in ``map_channel_slots``) keep the parent's weights for every joint whose name
the two skeletons share, and for every limb joining two such joints; new joints and limbs start
from the new model's own initialisation (and read nothing yet where they are an input, so the
copied channels compute at first what they computed in the parent). COCO-17 from LSP-14: 12 of
17 joints, 12 of 19 limbs come over; the nose, eyes and ears are new.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from poseapp.core.skeleton import Skeleton


@dataclass(frozen=True)
class Transfer:
    """What a transfer kept: new joint -> parent joint, new limb -> parent limb, by name."""

    joints: dict[str, str]
    new_joints: tuple[str, ...]
    limbs: int
    new_limbs: int

    def to_card(self) -> dict:
        return {"joints_kept": self.joints, "new_joints": list(self.new_joints), "limbs_kept": self.limbs,
                "new_limbs": self.new_limbs}


def channel_map(skeleton: Skeleton, limbs: tuple, parent: Skeleton, parent_limbs: tuple) -> dict[int, int]:
    """New map channel -> parent map channel: joints by name, then limbs by their two ends' names."""
    where = {name: j for j, name in enumerate(parent.joints)}
    out = {j: where[name] for j, name in enumerate(skeleton.joints) if name in where}
    parent_limb = {frozenset((parent.joints[a], parent.joints[b])): n for n, (a, b) in enumerate(parent_limbs)}
    for n, (a, b) in enumerate(limbs):
        old = parent_limb.get(frozenset((skeleton.joints[a], skeleton.joints[b])))
        if old is not None:
            out[skeleton.num_joints + n] = parent.num_joints + old
    return out


def _slots(model: torch.nn.Module) -> dict[str, list[tuple[int, int, str, int]]]:
    """weight name -> [(dimension, offset, 'maps' or 'joints', channels per joint)] of its skeleton
    channels. A slot may give how many channels each joint has, side by side (a regression head's
    x, y and visibility for joint j at 3j, 3j+1, 3j+2); one when it does not."""
    out: dict[str, list[tuple[int, int, str, int]]] = {}
    for slot in model.map_channel_slots():
        name, dim, offset, kind = slot[:4]
        out.setdefault(name, []).append((dim, offset, kind, slot[4] if len(slot) > 4 else 1))
    return out


def transfer_weights(model: torch.nn.Module, parent: torch.nn.Module, skeleton: Skeleton, parent_skeleton: Skeleton) -> Transfer:
    """Load ``parent``'s weights into ``model`` (same architecture and widths, another skeleton)."""
    limbs, parent_limbs = tuple(getattr(model.config, "limbs", ())), tuple(getattr(parent.config, "limbs", ()))
    maps = channel_map(skeleton, limbs, parent_skeleton, parent_limbs)
    joints_only = {c: p for c, p in maps.items() if c < skeleton.num_joints}
    slots, parent_slots = _slots(model), _slots(parent)
    old_state, state = parent.state_dict(), model.state_dict()
    loaded = {}
    for name, new in state.items():
        old = old_state.get(name)
        if old is None and name.startswith(tuple(getattr(model, "fresh_weights", ()))):
            loaded[name] = new.clone()  # a module the parent lacks (identity blocks, a new head): as built
            continue
        if old is None:
            raise ValueError(f"the parent model has no weight {name}: not the same architecture")
        if name not in slots:
            if old.shape != new.shape:
                raise ValueError(f"{name} is {tuple(old.shape)} in the parent and {tuple(new.shape)} here: "
                                 "only the skeleton may differ in a transfer (same model widths)")
            loaded[name] = old.clone()
            continue
        out = new.clone()
        dim = slots[name][0][0]
        first = min(offset for _, offset, _, _ in slots[name])
        if dim == 1:  # an input: a new channel reads nothing at first
            out.narrow(1, first, new.shape[1] - first).zero_()
        out.narrow(dim, 0, first).copy_(old.narrow(dim, 0, first))  # the image features before the maps
        for (_, offset, kind, per), (_, parent_offset, _, _) in zip(slots[name], parent_slots[name]):
            for c, p in (maps if kind == "maps" else joints_only).items():
                for i in range(per):
                    out.select(dim, offset + c * per + i).copy_(old.select(dim, parent_offset + p * per + i))
        loaded[name] = out
    model.load_state_dict(loaded)
    kept = {skeleton.joints[c]: parent_skeleton.joints[p] for c, p in joints_only.items()}
    return Transfer(
        joints=kept, new_joints=tuple(j for j in skeleton.joints if j not in kept),
        limbs=len(maps) - len(joints_only), new_limbs=len(limbs) - (len(maps) - len(joints_only)),
    )
