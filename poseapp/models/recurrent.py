"""Recurrent Human Pose Estimation (Belagiannis & Zisserman, FG 2017).

Feed-forward module: layers 1-3 are small 3x3 convolutions with batch norm and two poolings;
layers 4-5 use large filters for context; layers 6-7 are 1x1 convolutions over the
concatenation of layer 3's and layer 5's outputs (the skip). Recurrent module: its own fusion
layers 6-7 with weights shared across iterations, fed with layer 3's output concatenated with
the previous layer 7 output. Each pass outputs keypoint heatmaps and body-part heatmaps; the
network returns all of them, (B, T+1, K+P, h, w), and the auxiliary losses use every one.

Hints (the user's corrections): since the recurrent module reads the previous iteration's maps,
a corrected joint's map can be replaced there by the ground-truth Gaussian at the corrected
place (and the maps of the limbs touching it), so context moves the joints not yet corrected.
The layer-3 features and the feed-forward maps are cached per person, so a re-run costs only
the recurrent iterations. Training feeds random joint subsets this way so that the module
learns to use them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from poseapp.codecs import KeypointPartCodec
from poseapp.core.skeleton import skeleton_of
from poseapp.models.base import PoseModel
from poseapp.models.layers import conv_bn_relu
from poseapp.models.losses import recurrent_loss, visibility_loss
from poseapp.models.registry import BaseConfig, register


@dataclass(frozen=True)
class RecurrentConfig(BaseConfig):
    widths: tuple[int, int, int] = (64, 128, 256)  # layers 1, 2, 3
    context_width: int = 256  # layers 4-5
    context_kernel: int = 9
    # > 1: dilated context and recurrent convolutions, the large kernels' reach with 3x3 weights
    # (a 3x3 kernel at dilation 3 spans 7x7 for a fifth of the weights and time)
    context_dilation: int = 1
    recurrent_dilation: int = 1
    fusion_width: int = 256  # layer 6
    recurrent_width: int = 128  # recurrent layers 6-7
    recurrent_kernel: int = 9
    iterations: int = 2  # default at training and inference; any number works at inference
    use_parts: bool = True
    sigma: float = 1.5  # heatmap cells
    magnitude: float = 1.0
    part_length_scale: float = 0.5
    # Which limb maps a hinted joint replaces in the recurrent input. "touching" (issue #13's
    # design): every limb touching a hinted joint, its far end drawn at the current estimate.
    # "both": only limbs whose two ends are hinted, whose ground-truth map is then known exactly.
    # Training draws ground-truth limbs either way. Measured after 19,200 training samples
    # (bench/RESULTS.md): corrections with refinement 94% of those without under "touching", 106%
    # under "both".
    hint_limbs: str = "touching"
    # The recurrent module also reads the hints on channels of their own (a map per joint, zero
    # when not hinted), so it can tell a user's correction from its own confident estimate.
    hint_input: bool = False
    # Blank the keypoint maps of the joints within this many limbs of a hinted joint (and not
    # hinted themselves), and the limb maps touching them, in the recurrent input, in training and
    # in a re-run alike: their old estimate is what a correction says may be wrong, so the re-run
    # places them afresh from the image and the hint instead of keeping them where they were (and
    # no limb map drawn to a ground-truth end in training tells it where they are). 0: off.
    hint_blank: int = 0
    # Issue #28, capacity: bottleneck residual blocks after layer 3, at dilation 2. Each starts as
    # the identity (its last batch norm at zero), so a model grown from a trained one computes
    # exactly what that one did and training only adds to it. About 5% more time per block.
    trunk_blocks: int = 0
    # Issue #28, occlusion: K logit maps, "this joint is visible" against "occluded", made from
    # layer 3's features and the last iteration's maps and read at each joint's place. Separate
    # from the joint score, trained on the datasets' flags. Its input is detached: the head learns
    # from the pose features without changing them, so it never costs pose accuracy and can be
    # added to a trained model. The maps ride after the model's map channels in every step of the
    # output: (B, T, C + K, h, w).
    visibility_head: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.trunk_blocks, bool) or not isinstance(self.trunk_blocks, int) or not 0 <= self.trunk_blocks <= 8:
            raise ValueError("trunk_blocks must be a whole number from 0 to 8")
        if self.hint_limbs not in ("both", "touching"):
            raise ValueError("hint_limbs must be both or touching")
        if isinstance(self.hint_blank, bool) or not isinstance(self.hint_blank, int) or not 0 <= self.hint_blank <= 3:
            raise ValueError("hint_blank must be a whole number of limbs from 0 to 3")

    @classmethod
    def full(cls) -> "RecurrentConfig":
        return cls(input_size=248)  # 62 x 62 heatmaps, as in the paper

    @classmethod
    def lite(cls) -> "RecurrentConfig":
        return cls(
            input_size=128, widths=(16, 32, 64), context_width=64, context_kernel=7, fusion_width=64,
            recurrent_width=48, recurrent_kernel=7,
        )

    @property
    def limbs(self) -> tuple[tuple[int, int], ...]:
        return skeleton_of(self).edges if self.use_parts else ()

    @property
    def num_maps(self) -> int:
        return self.num_joints + len(self.limbs)


VISIBILITY_WIDTH = 64


class Bottleneck(nn.Module):
    """1x1 down to half the width, a dilated 3x3, 1x1 back up, added to the input. The last batch
    norm starts at zero, so a new block passes its (non-negative, post-ReLU) input through."""

    def __init__(self, width: int, dilation: int) -> None:
        super().__init__()
        mid = width // 2
        self.body = nn.Sequential(
            conv_bn_relu(width, mid, 1), conv_bn_relu(mid, mid, 3, dilation=dilation),
            nn.Conv2d(mid, width, 1, bias=False), nn.BatchNorm2d(width),
        )
        nn.init.zeros_(self.body[-1].weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.body(x))


@register("recurrent", RecurrentConfig)
class RecurrentPoseNet(PoseModel):
    def __init__(self, config: RecurrentConfig):
        super().__init__(config)
        w1, w2, w3 = config.widths
        c = config.num_maps
        self.layer1 = nn.Sequential(conv_bn_relu(3, w1), conv_bn_relu(w1, w1), nn.MaxPool2d(2))
        self.layer2 = nn.Sequential(conv_bn_relu(w1, w2), conv_bn_relu(w2, w2), nn.MaxPool2d(2))
        self.layer3 = nn.Sequential(conv_bn_relu(w2, w3), conv_bn_relu(w3, w3))
        self.trunk = nn.Sequential(*[Bottleneck(w3, dilation=2) for _ in range(config.trunk_blocks)])
        cw, ck, cd = config.context_width, config.context_kernel, config.context_dilation
        self.layer4 = conv_bn_relu(w3, cw, ck, dilation=cd)
        self.layer5 = conv_bn_relu(cw, cw, ck, dilation=cd)
        self.layer6 = conv_bn_relu(w3 + config.context_width, config.fusion_width, 1)
        self.layer7 = nn.Conv2d(config.fusion_width, c, 1)
        # The recurrent module: one set of weights, applied once per iteration.
        self.recurrent = nn.Sequential(
            conv_bn_relu(w3 + c + (config.num_joints if config.hint_input else 0), config.recurrent_width,
                         config.recurrent_kernel, dilation=config.recurrent_dilation),
            conv_bn_relu(config.recurrent_width, config.recurrent_width, config.recurrent_kernel, dilation=config.recurrent_dilation),
            nn.Conv2d(config.recurrent_width, c, 1),
        )
        if config.visibility_head:
            self.visibility = nn.Sequential(
                conv_bn_relu(w3 + c, VISIBILITY_WIDTH, 1), conv_bn_relu(VISIBILITY_WIDTH, VISIBILITY_WIDTH, 3, dilation=2),
                nn.Conv2d(VISIBILITY_WIDTH, config.num_joints, 1),
            )

    # Weights a model may lack when it grows from a trained parent (checkpoint.widen_from): they
    # start as built, the trunk blocks as the identity.
    fresh_weights = ("trunk.", "visibility.")

    def map_channel_slots(self) -> list[tuple[str, int, int, str]]:
        """(weight, dimension, offset, 'maps' or 'joints'): where the skeleton's map channels sit
        (engine/transfer.py moves them between skeletons by joint name)."""
        w3, c = self.config.widths[2], self.config.num_maps
        slots = [("layer7.weight", 0, 0, "maps"), ("layer7.bias", 0, 0, "maps"), ("recurrent.0.0.weight", 1, w3, "maps"),
                 ("recurrent.2.weight", 0, 0, "maps"), ("recurrent.2.bias", 0, 0, "maps")]
        if self.config.hint_input:
            slots.append(("recurrent.0.0.weight", 1, w3 + c, "joints"))
        if self.config.visibility_head:
            slots += [("visibility.0.0.weight", 1, w3, "maps"), ("visibility.2.weight", 0, 0, "joints"),
                      ("visibility.2.bias", 0, 0, "joints")]
        return slots

    def codec(self) -> KeypointPartCodec:
        cfg = self.config
        size = cfg.input_size
        return KeypointPartCodec(
            input_size=(size, size), heatmap_size=(size // 4, size // 4), sigma=cfg.sigma, magnitude=cfg.magnitude,
            limbs=cfg.limbs, part_length_scale=cfg.part_length_scale, num_joints=cfg.num_joints,
        )

    supports_hints = True

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The feed-forward module: (layer-3 features, feed-forward maps), what a re-run needs."""
        f3 = self.trunk(self.layer3(self.layer2(self.layer1(x))))
        f5 = self.layer5(self.layer4(f3))
        return f3, self.layer7(self.layer6(torch.cat([f3, f5], dim=1)))

    def iterate(self, f3: torch.Tensor, maps: torch.Tensor, iterations: int | None = None,
                hint_maps: torch.Tensor | None = None, hint_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The recurrent iterations from cached features: (B, T+1, C, h, w), the given maps first.
        ``hint_mask`` (B, C) marks the channels whose input is replaced by ``hint_maps`` (B, C, h, w)
        before every iteration (a hint holds for the whole re-run)."""
        iterations = self.config.iterations if iterations is None else iterations
        if iterations < 0:
            raise ValueError("iterations must be 0 or more")
        if (hint_maps is None) != (hint_mask is None):
            raise ValueError("hint_maps and hint_mask come together")
        outputs = [maps]
        extra = [self._hint_input(maps, hint_maps, hint_mask)] if self.config.hint_input else []
        blank = self._blanked(hint_mask) if hint_mask is not None and self.config.hint_blank else None
        for _ in range(iterations):
            if hint_mask is not None:
                keep = hint_mask[:, :, None, None].to(maps.dtype)
                maps = maps * (1 - keep) + hint_maps.to(maps.dtype) * keep
            if blank is not None:
                maps = maps * (1 - blank[:, :, None, None].to(maps.dtype))
            maps = self.recurrent(torch.cat([f3, maps, *extra], dim=1))
            outputs.append(maps)
        stacked = torch.stack(outputs, dim=1)
        if not self.config.visibility_head:
            return stacked
        logits = self.visibility(torch.cat([f3, maps], dim=1).detach())
        return torch.cat([stacked, logits.unsqueeze(1).expand(-1, stacked.shape[1], -1, -1, -1)], dim=2)

    def visibility_logits(self, output: torch.Tensor) -> torch.Tensor | None:
        """(B, K, h, w) visibility logit maps of the last step, or None without the head."""
        if not self.config.visibility_head:
            return None
        return output[:, -1, self.config.num_maps :]

    def _blanked(self, hint_mask: torch.Tensor) -> torch.Tensor:
        """(B, C) bool: the keypoint channels of the free joints within ``hint_blank`` limbs of a
        hinted one, and the limb channels touching those joints."""
        k = self.config.num_joints
        hinted = hint_mask[:, :k].bool()
        edges = skeleton_of(self.config).edges
        adjacency = torch.zeros(k, k, device=hint_mask.device)
        for a, b in edges:
            adjacency[a, b] = adjacency[b, a] = 1.0
        near = hinted.clone()
        for _ in range(self.config.hint_blank):
            near |= (near.float() @ adjacency) > 0
        free = near & ~hinted
        blank = torch.zeros_like(hint_mask, dtype=torch.bool)
        blank[:, :k] = free
        if self.config.limbs:
            a = torch.tensor([e[0] for e in self.config.limbs], device=hint_mask.device)
            b = torch.tensor([e[1] for e in self.config.limbs], device=hint_mask.device)
            blank[:, k:] = free[:, a] | free[:, b]
        return blank

    def _hint_input(self, maps: torch.Tensor, hint_maps: torch.Tensor | None, hint_mask: torch.Tensor | None) -> torch.Tensor:
        """(B, K, h, w): each hinted joint's map, zero for the others (and for every joint without hints)."""
        k = self.config.num_joints
        if hint_mask is None:
            return maps.new_zeros(maps.shape[0], k, *maps.shape[2:])
        return hint_maps[:, :k].to(maps.dtype) * hint_mask[:, :k, None, None].to(maps.dtype)

    def rerun(self, cache: tuple[torch.Tensor, torch.Tensor], iterations: int | None = None,
              hint_maps: torch.Tensor | None = None, hint_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.iterate(*cache, iterations, hint_maps, hint_mask)

    def forward(self, x: torch.Tensor, iterations: int | None = None, hint_maps: torch.Tensor | None = None,
                hint_mask: torch.Tensor | None = None, hint_sampler=None) -> torch.Tensor:
        cache = self.features(x)
        if hint_sampler is not None:  # training: hints chosen from the feed-forward estimate
            hint_maps, hint_mask = hint_sampler(cache[1].detach())
        return self.rerun(cache, iterations, hint_maps, hint_mask)

    def hint_maps(self, target: torch.Tensor) -> torch.Tensor:
        return target  # keypoint + part maps, the same channels as the recurrent input

    def encode_hints(self, keypoints):
        return self.codec().encode(keypoints)[0]

    def hint_channels(self, joints: torch.Tensor) -> torch.Tensor:
        """(B, K) bool hinted joints -> (B, K+P) bool map channels they replace: their keypoint
        maps and the limb maps that ``hint_limbs`` names."""
        limbs = self.config.limbs
        if not limbs:
            return joints
        a = torch.tensor([l[0] for l in limbs], device=joints.device)
        b = torch.tensor([l[1] for l in limbs], device=joints.device)
        ends = joints[:, a] & joints[:, b] if self.config.hint_limbs == "both" else joints[:, a] | joints[:, b]
        return torch.cat([joints, ends], dim=1)

    def loss(self, output, target, weight, keypoints, cfg, **phase) -> torch.Tensor:
        """MSE after the feed-forward module and after every iteration (the auxiliary losses), and
        the visibility head's cross-entropy where the joints' flags say visible or occluded."""
        maps = output[:, :, : self.config.num_maps]
        loss = recurrent_loss(self, maps, target, weight, keypoints, cfg)
        logits = self.visibility_logits(output)
        if logits is not None:
            loss = loss + visibility_loss(logits, keypoints, self.config.input_size)
        return loss

    def stage_names(self, num_stages: int) -> list[str]:
        return ["feed-forward"] + [f"iteration {i}" for i in range(1, num_stages)]
