"""A small anchor-free person detector after Zhou et al., "Objects as Points" (CenterNet, 2019).

Each output cell (stride 8) predicts a person-centre heatmap (sigmoid, penalty-reduced focal loss
on Gaussian targets), the box size as log(w / stride), log(h / stride) and the offset from the cell
to the centre in cells (L1 both, learnt from every cell near a centre as TTFNet does, read at the
centre's peak). Decoding keeps the 3x3 local maxima of the heatmap (CenterNet's
max-pool "NMS"), then a light box NMS for the rare double peak on one tall person.

The backbone is MobileNet-like (plain 3x3 convolutions to go down, depthwise-separable residual
blocks to think) with a small FPN that brings strides 16 and 32 back to stride 8: on one CPU
thread a full 3x3 convolution of few channels costs little, and depthwise 5x5 blocks at the
coarse strides give a receptive field as tall as the input, which a 380-px person needs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from poseapp.core.typed_fields import check_field_types

ARCHITECTURE = "centernet-person"


@dataclass(frozen=True)
class DetectorConfig:
    # The long side of the letterboxed input at inference. 384 keeps a 640-px photo under 100 ms
    # on one CPU thread (measured: bench/detector.py) and a 64-px person 38 px tall in the input.
    input_size: int = 384
    # channels at strides 2, 4, 8, 16, 32
    widths: tuple[int, ...] = (16, 32, 64, 128, 192)
    # depthwise-separable residual blocks at strides 4, 8, 16, 32
    blocks: tuple[int, ...] = (1, 2, 3, 3)
    neck_width: int = 96
    stride: int = 8  # output stride; the only one the FPN below builds
    mean: tuple[float, float, float] = (0.406, 0.456, 0.485)  # BGR, ImageNet's
    std: tuple[float, float, float] = (0.225, 0.224, 0.229)

    def __post_init__(self):
        check_field_types(self)
        if len(self.widths) != 5 or len(self.blocks) != 4:
            raise ValueError("widths needs 5 entries (strides 2..32) and blocks 4 (strides 4..32)")
        if any(w < 4 for w in self.widths) or self.neck_width < 4 or any(b < 0 for b in self.blocks):
            raise ValueError("widths and neck_width must be at least 4, blocks at least 0")
        if self.stride != 8:
            raise ValueError("stride must be 8 (the neck brings strides 16 and 32 back to 8)")
        if self.input_size % 32 or not 64 <= self.input_size <= 1536:
            raise ValueError("input_size must be a multiple of 32 between 64 and 1536")

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DetectorConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown detector option(s) {sorted(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class SeparableBlock(nn.Module):
    """Depthwise k x k, pointwise 1 x 1, residual."""

    def __init__(self, width: int, kernel: int):
        super().__init__()
        self.body = nn.Sequential(conv_bn(width, width, kernel, groups=width), conv_bn(width, width, 1, act=False))

    def forward(self, x):
        return F.relu(x + self.body(x))


class PersonCenterNet(nn.Module):
    registry_name = ARCHITECTURE

    def __init__(self, config: DetectorConfig | None = None):
        super().__init__()
        self.config = config = config or DetectorConfig()
        w, b = config.widths, config.blocks
        self.stem = conv_bn(3, w[0], 3, 2)
        stages = []
        for i in range(4):  # strides 4, 8, 16, 32; 5x5 depthwise at the coarse two for reach
            kernel = 3 if i < 2 else 5
            stages.append(nn.Sequential(conv_bn(w[i], w[i + 1], 3, 2), *[SeparableBlock(w[i + 1], kernel) for _ in range(b[i])]))
        self.stages = nn.ModuleList(stages)
        n = config.neck_width
        self.lateral = nn.ModuleList([conv_bn(w[k], n, 1) for k in (2, 3, 4)])  # strides 8, 16, 32
        self.smooth = nn.Sequential(SeparableBlock(n, 3), SeparableBlock(n, 3))
        self.head = nn.Sequential(conv_bn(n, n, 3, groups=n), conv_bn(n, n, 1))
        self.heatmap = nn.Conv2d(n, 1, 1)
        self.size = nn.Conv2d(n, 2, 1)
        self.offset = nn.Conv2d(n, 2, 1)
        # CenterNet's prior: every cell starts at p = 0.1, so the focal loss does not begin with a
        # flood of confident false positives
        nn.init.constant_(self.heatmap.bias, -math.log((1 - 0.1) / 0.1))
        nn.init.constant_(self.size.bias, math.log(8.0))  # a 64-px box at stride 8
        nn.init.constant_(self.offset.bias, 0.5)  # the middle of the cell
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m not in (self.heatmap, self.size, self.offset):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for m in (self.heatmap, self.size, self.offset):
            nn.init.normal_(m.weight, std=0.001)

    def normalise(self, images_bgr_uint8: torch.Tensor) -> torch.Tensor:
        """N x 3 x H x W uint8 BGR -> float, normalised."""
        mean = torch.tensor(self.config.mean, device=images_bgr_uint8.device).view(1, 3, 1, 1) * 255
        std = torch.tensor(self.config.std, device=images_bgr_uint8.device).view(1, 3, 1, 1) * 255
        return (images_bgr_uint8.float() - mean) / std

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        feats = []
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        c8, c16, c32 = feats[1], feats[2], feats[3]
        p = self.lateral[2](c32)
        p = self.lateral[1](c16) + F.interpolate(p, size=c16.shape[-2:], mode="nearest")
        p = self.lateral[0](c8) + F.interpolate(p, size=c8.shape[-2:], mode="nearest")
        p = self.head(self.smooth(p))
        return {"heatmap": self.heatmap(p), "size": self.size(p), "offset": self.offset(p)}


HEATMAP_LOSSES = ("centernet", "quality")


@dataclass(frozen=True)
class LossWeights:
    heatmap: float = 1.0
    size: float = 1.0  # L1 in log space: 0.1 is a 10% size error, comparable to the focal term
    offset: float = 1.0
    # centernet: the paper's penalty-reduced focal loss (only the centre cell is a positive);
    # quality: the focal loss for soft targets of Li et al. (GFL, 2020), every cell of a person's
    # Gaussian pulled to its value, which gives many more cells a positive gradient
    heatmap_loss: str = "centernet"

    def __post_init__(self):
        if self.heatmap_loss not in HEATMAP_LOSSES:
            raise ValueError(f"heatmap_loss must be one of {', '.join(HEATMAP_LOSSES)}")


def focal_loss(logits: torch.Tensor, target: torch.Tensor, ignore: torch.Tensor | None = None) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss (alpha 2, beta 4), summed and divided by the number
    of centres. ``ignore`` (1 = ignore) removes crowd regions and too-small people from the negatives."""
    p = torch.sigmoid(logits.float()).clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    neg = 1.0 - pos
    if ignore is not None:
        neg = neg * (1.0 - ignore)
    pos_loss = torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = torch.log(1 - p) * p**2 * (1 - target) ** 4 * neg
    n = pos.sum().clamp(min=1.0)
    return -(pos_loss.sum() + neg_loss.sum()) / n


def quality_focal_loss(logits: torch.Tensor, target: torch.Tensor, ignore: torch.Tensor | None = None) -> torch.Tensor:
    """|y - p|^2 * BCE(p, y) with y the Gaussian target, divided by the number of centres; cells
    of ignore regions that are no person's Gaussian add nothing."""
    p = torch.sigmoid(logits.float())
    loss = F.binary_cross_entropy_with_logits(logits.float(), target, reduction="none") * (target - p).abs() ** 2
    if ignore is not None:
        loss = loss * (1.0 - ignore * (target < 0.05).float())
    return loss.sum() / target.eq(1).float().sum().clamp(min=1.0)


def detection_loss(out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], weights: LossWeights = LossWeights()):
    """(total, parts): focal heatmap loss + L1 on log size and offset near the centres."""
    heatmap_loss = quality_focal_loss if weights.heatmap_loss == "quality" else focal_loss
    hm = heatmap_loss(out["heatmap"], batch["heatmap"], batch.get("ignore"))
    mask = batch["mask"].unsqueeze(1)  # N x 1 x H x W: each person's regression cells, weights summing to 1
    n = mask.sum().clamp(min=1.0)  # the number of people
    size = (torch.abs(out["size"].float() - batch["size"]) * mask).sum() / (2 * n)
    offset = (torch.abs(out["offset"].float() - batch["offset"]) * mask).sum() / (2 * n)
    total = weights.heatmap * hm + weights.size * size + weights.offset * offset
    return total, {"heatmap": float(hm.detach()), "size": float(size.detach()), "offset": float(offset.detach())}


@torch.no_grad()
def decode(out: dict[str, torch.Tensor], stride: int, threshold: float, top_k: int = 100) -> list[torch.Tensor]:
    """Per image: K x 5 (x, y, w, h, score) in input pixels, best first, scores >= threshold.
    The heatmap's 3 x 3 local maxima are the detections (no anchors, no box NMS needed in most scenes)."""
    heat = torch.sigmoid(out["heatmap"].float())
    peaks = heat * (F.max_pool2d(heat, 3, 1, 1) == heat).float()
    n, _, h, w = heat.shape
    scores, index = peaks.view(n, -1).topk(min(top_k, h * w))
    results = []
    for i in range(n):
        keep = scores[i] >= threshold
        s, idx = scores[i][keep], index[i][keep]
        ys, xs = (idx // w), (idx % w)
        off = out["offset"][i, :, ys, xs].float()
        size = torch.exp(out["size"][i, :, ys, xs].float().clamp(max=8.0)) * stride
        cx, cy = (xs.float() + off[0]) * stride, (ys.float() + off[1]) * stride
        results.append(torch.stack([cx - size[0] / 2, cy - size[1] / 2, size[0], size[1], s], dim=1))
    return results


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
