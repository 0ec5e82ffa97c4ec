"""CNN + LSTM joint-by-joint regression: a CNN's feature grid feeds a 2-layer LSTM (hidden 128)
that emits one joint per time step, each step seeing the previous joint, optionally with soft
attention over the grid. Returns (B, 1, K, 3) (the K steps in joint order: x, y in [-0.5, 0.5]
and a visibility logit); ``last_attention`` keeps the (B, K, h, w) attention of the last call."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from poseapp.codecs import RegressionCodec
from poseapp.models.base import CoordinateModel
from poseapp.models.layers import vgg_stage
from poseapp.models.registry import BaseConfig, register


@dataclass(frozen=True)
class CnnLstmConfig(BaseConfig):
    backbone: tuple[tuple[int, int], ...] = ((64, 2), (128, 2), (256, 3), (512, 3))  # each stage pools
    hidden: int = 128
    layers: int = 2
    attention: bool = True
    attention_width: int = 128
    # Where each step's joint comes from: "hidden" regresses it from the LSTM state; "attention"
    # reads it from the step's attention map (soft-argmax over the feature grid, as in the source
    # paper's soft-attention variant and in the spirit of Chained Predictions), the head then
    # gives only the visibility logit.
    readout: str = "hidden"
    coordinate_loss: str = "l2"  # l2 (the paper) or l1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.readout not in ("hidden", "attention"):
            raise ValueError("readout must be hidden or attention")
        if self.readout == "attention" and not self.attention:
            raise ValueError("readout 'attention' needs attention")
        if self.coordinate_loss not in ("l1", "l2"):
            raise ValueError("coordinate_loss must be l1 or l2")

    @classmethod
    def full(cls) -> "CnnLstmConfig":
        return cls(input_size=256)

    @classmethod
    def lite(cls) -> "CnnLstmConfig":
        return cls(input_size=128, backbone=((16, 1), (32, 1), (64, 2), (128, 2)))


@register("cnn_lstm", CnnLstmConfig)
class CnnLstmNet(CoordinateModel):

    def __init__(self, config: CnnLstmConfig):
        super().__init__(config)
        stages, cin = [], 3
        for width, convs in config.backbone:
            stages.append(vgg_stage(cin, width, convs, pool=True))
            cin = width
        self.backbone = nn.Sequential(*stages)
        self.feature_width = cin
        self.joint_embedding = nn.Embedding(config.num_joints, 16)
        self.lstm = nn.LSTM(cin + 3 + 16, config.hidden, num_layers=config.layers, batch_first=True)
        self.head = nn.Linear(config.hidden, 3)
        if config.attention:
            self.att_features = nn.Linear(cin, config.attention_width)
            self.att_hidden = nn.Linear(config.hidden, config.attention_width)
            self.att_score = nn.Linear(config.attention_width, 1)
        self.last_attention: torch.Tensor | None = None

    def codec(self) -> RegressionCodec:
        return RegressionCodec((self.config.input_size, self.config.input_size))

    def map_channel_slots(self) -> list[tuple[str, int, int, str]]:
        """The joint embedding, which tells the LSTM which joint it emits: a row per joint. A new
        joint's row starts fresh; the LSTM and its head serve every joint alike."""
        return [("joint_embedding.weight", 0, 0, "joints")]

    def forward(self, x: torch.Tensor, iterations: int | None = None) -> torch.Tensor:
        feats = self.backbone(x)
        b, c, h, w = feats.shape
        grid = feats.flatten(2).transpose(1, 2)  # (B, N, C)
        pooled = grid.mean(dim=1)
        keys = self.att_features(grid) if self.config.attention else None
        prev = x.new_zeros(b, 3)
        state = None
        # grid cell centres in normalised input coordinates, for the attention readout
        ys = (torch.arange(h, device=x.device, dtype=grid.dtype) + 0.5) / h - 0.5
        xs = (torch.arange(w, device=x.device, dtype=grid.dtype) + 0.5) / w - 0.5
        cells = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).reshape(h * w, 2)
        top = x.new_zeros(b, self.config.hidden)
        steps, attention = [], []
        for t in range(self.config.num_joints):
            if keys is not None:
                scores = self.att_score(torch.tanh(keys + self.att_hidden(top).unsqueeze(1))).squeeze(-1)
                weights = torch.softmax(scores, dim=1)
                context = torch.bmm(weights.unsqueeze(1), grid).squeeze(1)
                attention.append(weights.view(b, h, w))
            else:
                context = pooled
            embed = self.joint_embedding.weight[t].expand(b, -1)
            out, state = self.lstm(torch.cat([context, prev, embed], dim=1).unsqueeze(1), state)
            top = out[:, 0]
            prev = self.head(top)
            if self.config.readout == "attention":
                # soft-argmax: the attention-weighted mean of the cell centres is the joint
                prev = torch.cat([weights.to(cells.dtype) @ cells, prev[:, 2:]], dim=1).to(prev.dtype)
            steps.append(prev)
        self.last_attention = torch.stack(attention, dim=1).detach() if attention else None
        return torch.stack(steps, dim=1).unsqueeze(1)

    def stage_names(self, num_stages: int) -> list[str]:
        return ["joint by joint"]
