"""Human Pose Estimation via Convolutional Part Heatmap Regression (Bulat & Tzimiropoulos, ECCV 2016).

A part-detection subnetwork predicts per-part sigmoid heatmaps (trained on binary disks around
visible parts); a regression subnetwork takes those heatmaps stacked with the image and
regresses Gaussian confidence maps for every part, visible or occluded, using large kernels to
reason about context. Returns both stages: (B, 2, K, h, w), stage 0 as logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from poseapp.codecs import PartCascadeCodec
from poseapp.models.base import PoseModel
from poseapp.models.layers import conv_bn_relu, vgg_stage
from poseapp.models.losses import part_regression_loss
from poseapp.models.registry import BaseConfig, register


@dataclass(frozen=True)
class PartRegressionConfig(BaseConfig):
    # detector: VGG-style stages (channels, convs); the first two pool, giving heatmaps at stride 4
    detector: tuple[tuple[int, int], ...] = ((64, 2), (128, 2), (256, 3), (512, 3))
    # regressor: (kernel, channels) per layer; the last layer outputs the K maps
    regressor: tuple[tuple[int, int], ...] = ((9, 64), (13, 64), (13, 128), (15, 256), (1, 512), (1, 512))
    radius: float = 2.0  # detector disk radius, heatmap cells
    sigma: float = 1.5
    magnitude: float = 1.0

    @classmethod
    def full(cls) -> "PartRegressionConfig":
        return cls(input_size=256)

    @classmethod
    def lite(cls) -> "PartRegressionConfig":
        return cls(
            input_size=128, detector=((16, 2), (32, 2), (64, 2), (96, 2)), regressor=((7, 32), (9, 32), (9, 64), (1, 64)),
        )


@register("part_regression", PartRegressionConfig)
class PartRegressionNet(PoseModel):
    def __init__(self, config: PartRegressionConfig):
        super().__init__(config)
        k = config.num_joints
        stages, cin = [], 3
        for i, (width, convs) in enumerate(config.detector):
            stages.append(vgg_stage(cin, width, convs, pool=i < 2))
            cin = width
        self.detector = nn.Sequential(*stages, conv_bn_relu(cin, cin, 1), nn.Conv2d(cin, k, 1))
        layers, cin = [], 3 + k
        for kernel, width in config.regressor:
            layers.append(conv_bn_relu(cin, width, kernel))
            cin = width
        layers.append(nn.Conv2d(cin, k, 1))
        self.regressor = nn.Sequential(*layers)

    def map_channel_slots(self) -> list[tuple[str, int, int, str]]:
        """The detector's part maps (its last layer's outputs), the regressor's input (RGB, then
        the part maps) and its output maps: one channel per joint each."""
        last = len(self.detector) - 1
        out = len(self.regressor) - 1
        return [(f"detector.{last}.weight", 0, 0, "joints"), (f"detector.{last}.bias", 0, 0, "joints"),
                ("regressor.0.0.weight", 1, 3, "joints"),
                (f"regressor.{out}.weight", 0, 0, "joints"), (f"regressor.{out}.bias", 0, 0, "joints")]

    def codec(self) -> PartCascadeCodec:
        size = self.config.input_size
        return PartCascadeCodec(
            input_size=(size, size), heatmap_size=(size // 4, size // 4), radius=self.config.radius,
            sigma=self.config.sigma, magnitude=self.config.magnitude,
        )

    # Hints: a corrected joint's part-detection map, which the regression stage reads, is replaced
    # by the ground-truth disk at the corrected place; a re-run costs only the regression stage.
    supports_hints = True

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the image pooled to the heatmap grid, part-detection logits)."""
        logits = self.detector(x)
        return F.adaptive_avg_pool2d(x, logits.shape[-2:]), logits

    def rerun(self, cache: tuple[torch.Tensor, torch.Tensor], iterations: int | None = None,
              hint_maps: torch.Tensor | None = None, hint_mask: torch.Tensor | None = None) -> torch.Tensor:
        image, logits = cache
        if (hint_maps is None) != (hint_mask is None):
            raise ValueError("hint_maps and hint_mask come together")
        parts = torch.sigmoid(logits)
        if hint_mask is not None:
            keep = hint_mask[:, :, None, None].to(parts.dtype)
            parts = parts * (1 - keep) + hint_maps.to(parts.dtype) * keep
        maps = self.regressor(torch.cat([image.to(parts.dtype), parts], dim=1))
        return torch.stack([logits, maps.to(logits.dtype)], dim=1)

    def forward(self, x: torch.Tensor, iterations: int | None = None, hint_maps: torch.Tensor | None = None,
                hint_mask: torch.Tensor | None = None, hint_sampler=None) -> torch.Tensor:
        cache = self.features(x)
        if hint_sampler is not None:  # training: hints chosen from the feed-forward estimate
            hint_maps, hint_mask = hint_sampler(cache[1].detach())
        return self.rerun(cache, iterations, hint_maps, hint_mask)

    def hint_channels(self, joints: torch.Tensor) -> torch.Tensor:
        return joints  # one detection map per joint

    def hint_maps(self, target: torch.Tensor) -> torch.Tensor:
        return target[:, 0]  # the disks

    def encode_hints(self, keypoints):
        return self.codec().detector.encode(keypoints)[0]

    def keypoint_heatmaps(self, output: torch.Tensor) -> torch.Tensor:
        return torch.stack([torch.sigmoid(output[:, 0]), output[:, 1]], dim=1)

    def loss(self, output, target, weight, keypoints, cfg, phase: str = "joint") -> torch.Tensor:
        return part_regression_loss(self, output, target, weight, keypoints, cfg, phase)

    def training_phase(self, epoch: int, train_config) -> tuple[str, dict]:
        """Staged (the paper): a third of the epochs each for the detector, the regressor, then both."""
        if train_config.cascade_schedule != "staged":
            return "all", {}
        third = max(1, train_config.epochs // 3)
        phase = "detector" if epoch < third else "regressor" if epoch < 2 * third else "joint"
        return phase, {"phase": phase}

    def frozen_parts(self, phase: str) -> list[nn.Module]:
        return {"detector": [self.regressor], "regressor": [self.detector]}.get(phase, [])

    def stage_names(self, num_stages: int) -> list[str]:
        return ["part detection", "regression"][:num_stages]
