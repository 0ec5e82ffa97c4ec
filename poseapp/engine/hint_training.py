"""Hint training (issue #13): which joints' ground-truth maps replace the model's own in the
recurrent (or regression) input during training, so that the model learns to use the corrections
a user feeds back through ``Predictor.refine``."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


class HintSampler:
    """Draws each training step's hints. A ``hints`` share of the samples gets 1..max_hints labelled
    joints' ground-truth maps (and their limbs'); the rest none. The joints are random, or for a
    ``hint_worst`` share of the hinted samples the ones the feed-forward estimate gets most wrong, as
    an annotator picks them. Draws come from a generator seeded by (seed, global step), so a
    resumed run draws the same."""

    def __init__(self, model, hints: float, max_hints: int, hint_worst: float = 0.0,
                 hint_limb_ends: str = "truth", seed: int = 0):
        self.model = model
        self.hints, self.max_hints, self.hint_worst = hints, max_hints, hint_worst
        self.hint_limb_ends, self.seed = hint_limb_ends, seed
        self.enabled = hints > 0 and getattr(model, "supports_hints", False)

    @classmethod
    def from_config(cls, model, cfg) -> "HintSampler":
        return cls(model, cfg.hints, cfg.max_hints, cfg.hint_worst, cfg.hint_limb_ends, cfg.seed)

    def __call__(self, target: torch.Tensor, kps: torch.Tensor, step: int) -> dict[str, Any]:
        """forward()'s hint arguments for one batch: the maps and mask, or a ``hint_sampler`` that
        sees the model's first estimate; {} without hint training."""
        if not self.enabled:
            return {}
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
        b, k = kps.shape[:2]
        hinted_sample = torch.rand(b, generator=gen) < self.hints
        count = torch.randint(1, self.max_hints + 1, (b,), generator=gen)
        labelled = (kps[:, :, 2] > 0).cpu()
        score = torch.rand(b, k, generator=gen).masked_fill(~labelled, 2.0)  # unlabelled joints are never hints
        if self.hint_worst <= 0 and self.hint_limb_ends == "truth":  # needs no estimate
            joints = lowest(score, count) & labelled & hinted_sample[:, None]
            return {"hint_maps": self.model.hint_maps(target), "hint_mask": self.model.hint_channels(joints.to(target.device))}
        worst_sample = torch.rand(b, generator=gen) < self.hint_worst

        def sampler(first_maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            estimate = self.first_estimate(first_maps)
            error = (estimate - kps[:, :, :2].cpu().float()).norm(dim=2).masked_fill(~labelled, -1.0)
            ranked = torch.where(worst_sample[:, None], -error, score)
            joints = lowest(ranked, count) & labelled & hinted_sample[:, None]
            if self.hint_limb_ends == "truth":
                maps = self.model.hint_maps(target)
            else:
                maps = self.estimate_limb_maps(target, kps, estimate, joints)
            return maps, self.model.hint_channels(joints.to(target.device))
        return {"hint_sampler": sampler}

    def first_estimate(self, first_maps: torch.Tensor) -> torch.Tensor:
        """(B, K, 2) input-pixel argmax of the first keypoint maps, on the CPU."""
        k = self.model.config.num_joints
        maps = first_maps[:, :k].float().cpu()
        w = maps.shape[-1]
        idx = maps.flatten(2).argmax(dim=2)
        cells = torch.stack([idx % w, idx // w], dim=2).numpy().astype(np.float64)
        return torch.from_numpy(self.model.codec().to_input(cells)).float()

    def estimate_limb_maps(self, target, kps, estimate, joints) -> torch.Tensor:
        """The hint maps Predictor.refine would draw: hinted joints at the truth, other ends of
        their limbs at the model's estimate (only hinted samples are drawn; the rest are masked)."""
        maps = self.model.hint_maps(target).clone()
        truth = kps.cpu().numpy()
        for i in torch.nonzero(joints.any(dim=1)).flatten().tolist():
            mixed = np.column_stack([estimate[i].numpy(), np.full(len(truth[i]), 2.0)])
            picked = joints[i].numpy()
            mixed[picked] = truth[i][picked, :3]
            maps[i] = torch.from_numpy(self.model.encode_hints(mixed)).to(maps)
        return maps


def lowest(score: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
    """(B, K) bool: each row's ``count`` lowest scores."""
    rank = score.argsort(dim=1).argsort(dim=1)
    return rank < count[:, None]

