"""Exponential moving average of a model's weights (Polyak averaging), the weights a run
evaluates and ships when ``ema_decay`` > 0.

The decay ramps up from 0 over the first steps ((1 + step) / (10 + step), capped at ``decay``),
so the average does not drag the random initial weights along for thousands of steps. Buffers
(batch-norm statistics) are copied, not averaged. The state is plain tensors, so a run resumes
it exactly.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class ModelEMA:
    def __init__(self, model: nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError("EMA decay must lie in (0, 1)")
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    def rate(self, step: int) -> float:
        return min(self.decay, (1.0 + step) / (10.0 + step))

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        d = self.rate(step)
        for avg, p in zip(self.model.parameters(), model.parameters()):
            # a frozen weight the average already equals stays as it is: d * x + (1 - d) * x is not
            # x to the last bit, and over a run the drift moved a frozen model's poses
            if not p.requires_grad and torch.equal(avg, p):
                continue
            avg.mul_(d).add_(p.detach(), alpha=1.0 - d)
        for avg, b in zip(self.model.buffers(), model.buffers()):
            avg.copy_(b)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(state)
