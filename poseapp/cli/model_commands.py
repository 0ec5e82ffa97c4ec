"""``poseapp train`` and ``finetune``: training runs that print JSON-lines progress."""

from __future__ import annotations

import argparse
from pathlib import Path

from poseapp.models import available_models


def register(sub: argparse._SubParsersAction) -> dict:
    t = sub.add_parser("train", help="train a model; progress as JSON lines; resumes from OUT/train_state.pt")
    t.add_argument("--config", help="training config JSON (see configs/); options below override it")
    t.add_argument("--model", choices=available_models(), help="architecture and variant")
    t.add_argument("--data", nargs="+", help="lsp:DIR lspet:DIR coco:FILE yolo:DIR project:FILE (or plain paths)")
    t.add_argument("--out", required=True, help="model folder to write, e.g. models/recurrent-lite")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--occlusion", choices=("include", "ignore", "exclude"), help="recurrent: occluded joints")
    t.add_argument("--amp", choices=("auto", "bf16", "fp16", "off"))
    t.add_argument("--max-minutes", type=float, help="stop (with a checkpoint) after this long; run again to go on")
    t.add_argument("--seed", type=int)

    f = sub.add_parser("finetune", help="fine-tune a model on a project's annotations")
    f.add_argument("--model", required=True, help="model folder to start from")
    f.add_argument("--project", required=True, help="project file whose manual annotations to train on")
    f.add_argument("--out", help="new model folder (default: MODEL-finetuned)")
    f.add_argument("--epochs", type=int, default=10)
    f.add_argument("--lr", type=float, default=2e-4)
    f.add_argument("--batch-size", type=int, default=16)
    f.add_argument("--max-minutes", type=float)
    return {"train": cmd_train, "finetune": cmd_finetune}


def cmd_train(args: argparse.Namespace) -> int:
    from poseapp.engine.trainer import TrainConfig, Trainer

    overrides = {
        "model": args.model, "data": tuple(args.data) if args.data else None, "epochs": args.epochs,
        "batch_size": args.batch_size, "lr": args.lr, "occlusion": args.occlusion, "amp": args.amp,
        "max_minutes": args.max_minutes, "seed": args.seed,
    }
    config = TrainConfig.from_file(args.config, **overrides) if args.config else TrainConfig.from_dict({}, **overrides)
    result = Trainer(config, args.out).run()
    return 3 if result.get("stopped") else 0  # 3: stopped early with a checkpoint; run again to resume


def cmd_finetune(args: argparse.Namespace) -> int:
    from poseapp.engine.checkpoint import read_card
    from poseapp.engine.trainer import TrainConfig, Trainer

    card = read_card(args.model)
    base = card.get("training", {}).get("config", {})
    name = Path(args.model).name
    config = TrainConfig.from_dict({
        "model": base.get("model", card["architecture"] + "-lite"),
        "model_overrides": base.get("model_overrides", {}),
        "occlusion": base.get("occlusion", "include"),
        "data": [f"project:{args.project}"], "init_from": str(args.model), "epochs": args.epochs, "lr": args.lr,
        "batch_size": args.batch_size, "warmup_steps": 20, "max_minutes": args.max_minutes,
    })
    result = Trainer(config, args.out or str(Path(args.model).with_name(f"{name}-finetuned"))).run()
    return 3 if result.get("stopped") else 0
