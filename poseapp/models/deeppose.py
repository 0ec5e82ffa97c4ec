"""DeepPose (Toshev & Szegedy, CVPR 2014): direct regression of normalised joint coordinates,
then S refinement stages, each predicting a displacement from a crop around the previous
estimate. Returns every stage, (B, S+1, K, 3): x, y in [-0.5, 0.5] of the input and a
visibility logit (the in-image / visible output)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from poseapp.codecs import RegressionCodec
from poseapp.models.base import CoordinateModel
from poseapp.models.registry import BaseConfig, register

# (channels, kernel, stride, pool after)
ConvSpec = tuple[int, int, int, bool]


def _conv_stack(specs: tuple[ConvSpec, ...], cin: int = 3) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    for width, kernel, stride, pool in specs:
        layers += [nn.Conv2d(cin, width, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        if pool:
            layers.append(nn.MaxPool2d(2))
        cin = width
    return nn.Sequential(*layers), cin


@dataclass(frozen=True)
class DeepPoseConfig(BaseConfig):
    backbone: tuple[ConvSpec, ...] = (
        (96, 11, 4, True), (256, 5, 1, True), (384, 3, 1, False), (384, 3, 1, False), (256, 3, 1, True),
    )  # AlexNet, as in the paper
    fc_width: int = 4096
    stages: int = 3
    patch_size: int = 64  # pixels fed to a refiner
    patch_extent: float = 0.25  # crop side as a fraction of the input side
    refiner: tuple[ConvSpec, ...] = ((64, 5, 2, True), (128, 3, 1, True), (256, 3, 1, True))
    refiner_fc: int = 1024
    dropout: float = 0.5
    coordinate_loss: str = "l2"  # l2 (the paper) or l1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.coordinate_loss not in ("l1", "l2"):
            raise ValueError("coordinate_loss must be l1 or l2")

    @classmethod
    def full(cls) -> "DeepPoseConfig":
        return cls(input_size=220)

    @classmethod
    def lite(cls) -> "DeepPoseConfig":
        return cls(
            input_size=128,
            backbone=((16, 3, 1, True), (32, 3, 1, True), (64, 3, 1, True), (128, 3, 1, True), (128, 3, 1, True)),
            fc_width=256, stages=2, patch_size=32, refiner=((16, 3, 1, True), (32, 3, 1, True), (64, 3, 1, True)),
            refiner_fc=128, dropout=0.2,
        )


class _Regressor(nn.Module):
    def __init__(self, specs: tuple[ConvSpec, ...], size: int, fc: int, outputs: int, dropout: float):
        super().__init__()
        self.features, cout = _conv_stack(specs)
        with torch.no_grad():
            flat = self.features(torch.zeros(1, 3, size, size)).numel()
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, fc), nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(fc, outputs)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def crop_patches(images: torch.Tensor, centres: torch.Tensor, extent: float, size: int) -> torch.Tensor:
    """(B, 3, H, W) images, (B, K, 2) centres in [-0.5, 0.5] -> (B*K, 3, size, size) crops.

    One grid_sample call over a (B, K*size, size) grid: no per-joint copies of the image.
    """
    b, k, _ = centres.shape
    lin = (torch.arange(size, device=images.device, dtype=images.dtype) + 0.5) / size - 0.5  # cell centres
    gy, gx = torch.meshgrid(lin, lin, indexing="ij")
    offsets = torch.stack([gx, gy], dim=-1) * (2 * extent)  # (size, size, 2) in grid units
    grid = (2 * centres).view(b, k, 1, 1, 2) + offsets.view(1, 1, size, size, 2)
    patches = F.grid_sample(images, grid.view(b, k * size, size, 2), align_corners=False, padding_mode="zeros")
    return patches.view(b, 3, k, size, size).transpose(1, 2).reshape(b * k, 3, size, size)


@register("deeppose", DeepPoseConfig)
class DeepPoseNet(CoordinateModel):

    def __init__(self, config: DeepPoseConfig):
        super().__init__(config)
        k = config.num_joints
        self.initial = _Regressor(config.backbone, config.input_size, config.fc_width, 3 * k, config.dropout)
        # Each stage has its own refiner; it predicts all K displacements from one joint's crop
        # and the displacement of that joint is taken (the paper's formulation).
        self.refiners = nn.ModuleList(
            _Regressor(config.refiner, config.patch_size, config.refiner_fc, 2 * k, config.dropout) for _ in range(config.stages)
        )

    def codec(self) -> RegressionCodec:
        return RegressionCodec((self.config.input_size, self.config.input_size))

    def map_channel_slots(self) -> list[tuple[str, int, int, str, int]]:
        """The initial regressor's last layer (x, y, visibility per joint) and each refiner's
        (a displacement per joint): the only weights whose channels are joints."""
        slots = [("initial.head.4.weight", 0, 0, "joints", 3), ("initial.head.4.bias", 0, 0, "joints", 3)]
        for n in range(len(self.refiners)):
            slots += [(f"refiners.{n}.head.4.weight", 0, 0, "joints", 2), (f"refiners.{n}.head.4.bias", 0, 0, "joints", 2)]
        return slots

    def forward(self, x: torch.Tensor, iterations: int | None = None) -> torch.Tensor:
        cfg = self.config
        b, k = x.shape[0], cfg.num_joints
        first = self.initial(x).view(b, k, 3)
        outputs = [first]
        coords, vis = first[..., :2], first[..., 2:]
        stages = cfg.stages if iterations is None else min(iterations, cfg.stages)
        joint = torch.arange(k, device=x.device).repeat(b)
        for refiner in self.refiners[:stages]:
            patches = crop_patches(x, coords.detach(), cfg.patch_extent, cfg.patch_size)
            delta = refiner(patches).view(b * k, k, 2)[torch.arange(b * k, device=x.device), joint].view(b, k, 2)
            coords = coords.detach() + delta * cfg.patch_extent
            outputs.append(torch.cat([coords, vis], dim=-1))
        return torch.stack(outputs, dim=1)

    def training_phase(self, epoch: int, train_config) -> tuple[str, dict]:
        """Sequential (the paper): the initial regressor, then each refinement stage in turn."""
        if train_config.stage_schedule != "sequential":
            return "all", {}
        stages = self.config.stages + 1
        stage = min(epoch // max(1, train_config.epochs // stages), stages - 1)
        return f"stage {stage}", {"stages": [stage]}

    def frozen_parts(self, phase: str) -> list[nn.Module]:
        if not phase.startswith("stage"):
            return []
        stage = int(phase.split()[1])
        return [m for i, m in enumerate([self.initial, *self.refiners]) if i != stage]

    def stage_names(self, num_stages: int) -> list[str]:
        return ["initial"] + [f"refinement {i}" for i in range(1, num_stages)]
