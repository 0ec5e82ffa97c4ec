"""Small building blocks shared by the architectures."""

from __future__ import annotations

import torch
from torch import nn

# ImageNet statistics: crops are normalised with them before entering any model.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def conv_bn_relu(cin: int, cout: int, kernel: int = 3, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    pad = dilation * (kernel - 1) // 2
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def vgg_stage(cin: int, cout: int, convs: int, pool: bool) -> nn.Sequential:
    layers: list[nn.Module] = [conv_bn_relu(cin if i == 0 else cout, cout) for i in range(convs)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def normalise_images(images: torch.Tensor) -> torch.Tensor:
    """uint8 or [0, 1] float NCHW RGB -> ImageNet-normalised float."""
    if images.dtype == torch.uint8:
        images = images.float() / 255.0
    mean = torch.tensor(MEAN, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
    return (images - mean) / std
