"""A training run's options as a typed, validated dataclass, read from JSON configs and CLI flags.

``identity()`` is what a resumed run must share with the run it resumes; the options a resume may
change (how hints are drawn) are listed in RESUMABLE_CHANGES.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poseapp.core.errors import DataError
from poseapp.core.typed_fields import check_field_types
from poseapp.data.augment import AugmentConfig
from poseapp.data.photo_augment import PhotoAugmentConfig
from poseapp.models import make_config, resolve
from poseapp.models.losses import OCCLUSION_MODES

_ABSENT = object()  # an option one identity has and the other lacks


@dataclass(frozen=True)
class TrainConfig:
    model: str = "recurrent-lite"
    model_overrides: dict[str, Any] = field(default_factory=dict)
    data: tuple[str, ...] = ()
    epochs: int = 40
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    optimizer: str = "adamw"  # adamw or sgd
    warmup_steps: int = 200
    occlusion: str = "include"  # recurrent: include, ignore or exclude
    foreground_weight: float = 10.0
    cascade_schedule: str = "staged"  # part_regression: staged (detector, regressor, joint) or joint
    stage_schedule: str = "sequential"  # deeppose: sequential (one stage at a time) or joint
    amp: str = "auto"  # auto, bf16, fp16 or off
    seed: int = 0
    log_every: int = 20
    checkpoint_minutes: float = 10.0
    max_minutes: float | None = None
    max_train: int | None = None  # cap on training samples (quick runs, tests)
    max_val: int | None = None
    # Fine-tuning: start from this model folder. model_overrides then change its config, and may
    # only add input channels (e.g. hint_input), whose new weights start at zero.
    init_from: str | None = None
    # Which epoch's weights the run ships. 'best' picks by validation PCK, the same split the card
    # reports, so its figure is a best-of-N on that split; 'last' makes no choice on it.
    keep: str = "last"
    augment: dict[str, Any] = field(default_factory=dict)
    # Issue #28: probabilities of the augmentations for ordinary photos (data/photo_augment.py:
    # truncation, occluders, distractor, small, blur, low_light); none by default.
    photo_augment: dict[str, float] = field(default_factory=dict)
    # The run's length in optimizer steps when set: the warm-up + cosine schedule spans exactly
    # these steps (equal-budget experiments, long runs planned in steps) and the run ends there.
    max_steps: int | None = None
    ema_decay: float = 0.0  # > 0: evaluate and ship an exponential moving average of the weights
    # Hint training (models with supports_hints): this share of samples gets 1..max_hints random
    # labelled joints' ground-truth maps in the recurrent input, so the model learns to use corrections.
    hints: float = 0.0
    max_hints: int = 7
    # The share of hinted samples whose hints are the joints the model's own feed-forward estimate
    # gets most wrong, as an annotator picks them (the rest get random joints).
    hint_worst: float = 0.0
    # Where a hinted limb map's other end is drawn when that end is not hinted: at the truth, or at
    # the model's own estimate, as Predictor.refine draws it at inference.
    hint_limb_ends: str = "truth"
    train_eval: int = 200  # training samples (un-augmented) evaluated each epoch, to tell underfitting from overfitting
    threads: int | None = None  # torch CPU threads (None: torch's default)
    # Joints a dataset lacks, from a labels file (poseapp/data/extra_labels.py: the face joints of
    # LSP and LSPET people for a COCO-17 model), used where their score reaches extra_label_min_score.
    extra_labels: str | None = None
    extra_label_min_score: float = 0.5
    # Training people of a kind (the part of a sample's key before ':', e.g. "coco") seen this many
    # times an epoch: 69 COCO people among 11,000 LSP athletes would otherwise be lost in them.
    oversample: dict[str, int] = field(default_factory=dict)
    # NHWC tensors: oneDNN's bf16 convolutions run about 1.8x faster so at widths 32/64/128 (bench/RESULTS.md)
    channels_last: bool = True
    # Names (prefixes) of the only parameters the run trains, e.g. ["visibility"]: everything else
    # stays exactly as init_from had it, batch-norm statistics too, so a visibility head learnt on a
    # shipped model leaves its poses bit for bit as they were. Empty: everything trains.
    train_only: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_field_types(self)  # "data": "lsp:..." (not a list) or "lr": "1e-3" are refused by name
        resolve(self.model)  # raises for unknown names
        for name, check in (("model_overrides", lambda: make_config(self.model, **self.model_overrides)),
                            ("augment", lambda: AugmentConfig(**_augment_args(self.augment))),
                            ("photo_augment", lambda: PhotoAugmentConfig(**self.photo_augment))):
            try:
                check()  # raises for unknown or ill-typed fields
            except (TypeError, ValueError, KeyError) as exc:
                raise ValueError(f"{name}: {exc.args[0] if exc.args else exc}") from None
        choices = {"occlusion": OCCLUSION_MODES, "amp": ("auto", "bf16", "fp16", "off"), "keep": ("last", "best"),
                   "optimizer": ("adamw", "sgd"), "cascade_schedule": ("staged", "joint"),
                   "stage_schedule": ("sequential", "joint"), "hint_limb_ends": ("truth", "estimate")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")
        positive = {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr, "log_every": self.log_every,
                    "checkpoint_minutes": self.checkpoint_minutes, "foreground_weight": self.foreground_weight,
                    "max_hints": self.max_hints}
        for name in ("max_steps", "max_train", "max_val", "threads"):
            if getattr(self, name) is not None:
                positive[name] = getattr(self, name)
        for name, value in positive.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{name} must be a positive number, not {value!r}")
        for name in ("epochs", "batch_size", "log_every", "max_hints", "warmup_steps", "seed", "train_eval"):
            if isinstance(getattr(self, name), bool) or not isinstance(getattr(self, name), int):
                raise ValueError(f"{name} must be an integer, not {getattr(self, name)!r}")
        if not isinstance(self.channels_last, bool):
            raise ValueError("channels_last must be true or false")
        if self.weight_decay < 0 or self.warmup_steps < 0 or self.train_eval < 0:
            raise ValueError("weight_decay, warmup_steps and train_eval must not be negative")
        if self.max_minutes is not None and self.max_minutes < 0:
            raise ValueError("max_minutes must not be negative")
        if not 0.0 <= self.extra_label_min_score <= 1.0:
            raise ValueError("extra_label_min_score is a label score in [0, 1]")
        for kind, times in self.oversample.items():
            if isinstance(times, bool) or not isinstance(times, int) or times < 1:
                raise ValueError(f"oversample[{kind!r}] must be a whole number of times, 1 or more, not {times!r}")
        if any(not prefix for prefix in self.train_only):
            raise ValueError("train_only names parameters by prefix, e.g. [\"visibility\"]; an empty name trains everything")
        if self.train_only and not self.init_from:
            raise ValueError("train_only trains part of a trained model: give init_from")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError("ema_decay must lie in [0, 1): 0 is off, 0.999 a usual value")
        if not 0.0 <= self.hints <= 1.0:
            raise ValueError("hints is the share of samples with hints, in [0, 1]")
        if isinstance(self.hint_worst, bool) or not isinstance(self.hint_worst, (int, float)) or not 0.0 <= self.hint_worst <= 1.0:
            raise ValueError("hint_worst is the share of hinted samples given their worst joints, in [0, 1]")

    @classmethod
    def from_file(cls, path: str | os.PathLike, **overrides: Any) -> TrainConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(path, "training config not found") from None
        except json.JSONDecodeError as exc:
            raise DataError(path, f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
        return cls.from_dict(data, source=path, **overrides)

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: Any = None, **overrides: Any) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise DataError(source, f"unknown training option(s) {sorted(unknown)}; known: {sorted(names)}")
        merged = {**values, **{k: v for k, v in overrides.items() if v is not None}}
        for name in ("data", "train_only"):
            if isinstance(merged.get(name), list):  # JSON's list; anything else fails the type check
                merged[name] = tuple(merged[name])
        try:
            return cls(**merged)
        except (TypeError, ValueError, KeyError) as exc:
            raise DataError(source, str(exc)) from None

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["data"] = list(self.data)
        return data

    def differences(self, saved_identity: str) -> list[str]:
        """The options in which a saved run's identity differs from this config. An option added to
        poseapp after the run was saved matches when this config leaves it at its default."""
        saved = self.saved_options(saved_identity)
        if saved is None:
            return ["(unreadable saved config)"]
        current = json.loads(self.identity())
        return [n for n in sorted(set(saved) | set(current)) if saved.get(n, _ABSENT) != current.get(n, _ABSENT)]

    @classmethod
    def saved_options(cls, saved_identity: str) -> dict[str, Any] | None:
        """A saved run's options, those it predates at their defaults; None when unreadable."""
        try:
            saved = json.loads(saved_identity)
        except (TypeError, json.JSONDecodeError):
            return None
        return {**json.loads(cls().identity()), **saved}

    def augment_config(self) -> AugmentConfig:
        return AugmentConfig(**_augment_args(self.augment))

    def photo_augment_config(self) -> PhotoAugmentConfig:
        return PhotoAugmentConfig(**self.photo_augment)

    def identity(self) -> str:
        """What a resumed run must share with the saved one (how long or how chatty a run is may change)."""
        data = self.to_dict()
        for key in ("max_minutes", "log_every", "checkpoint_minutes", "threads"):
            data.pop(key)
        return json.dumps(data, sort_keys=True)


def _augment_args(values: dict[str, Any]) -> dict[str, Any]:
    known = {f.name for f in dataclasses.fields(AugmentConfig)}
    if set(values) - known:
        raise KeyError(f"unknown option(s) {sorted(set(values) - known)}; known: {sorted(known)}")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


# Options a resumed run may change: how hints are drawn. The change is logged and kept in the card.
RESUMABLE_CHANGES = ("hints", "max_hints", "hint_worst", "hint_limb_ends")


