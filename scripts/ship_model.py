"""Ship a trained model: copy its weights and card into models/NAME, measure it with
``poseapp eval`` on the LSP validation split (recorded in card.json and README.md), render a few
frames of the pedestrian video with the built-in detector into models/NAME/examples/, and
optionally make it the default model.

Run: .venv/bin/python scripts/ship_model.py RUN_DIR --name NAME [--default] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from poseapp.data import load_samples, split_samples  # noqa: E402
from poseapp.engine import checkpoint as ckpt  # noqa: E402
from poseapp.engine.evaluate import evaluate  # noqa: E402
from poseapp.engine.inference import predict_source  # noqa: E402
from poseapp.engine.model_card import attach_evaluation, replace_table, write_markdown, zoo_table  # noqa: E402
from poseapp.engine.zoo import SHIPPED, default_model_name, list_models  # noqa: E402
from poseapp.engine.predictor import Predictor  # noqa: E402
from poseapp.media.images import write_image  # noqa: E402
from poseapp.media.render import draw_pose  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="training output folder (weights.safetensors + card.json)")
    parser.add_argument("--name", required=True)
    parser.add_argument("--default", action="store_true", help="make it the GUI's and --model default's model")
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--video-frames", type=int, default=20, help="video frames to predict (every 20th)")
    args = parser.parse_args()
    data = Path(args.data)
    dest = REPO / "models" / args.name
    dest.mkdir(parents=True, exist_ok=True)
    for name in (ckpt.WEIGHTS, ckpt.CARD):
        shutil.copy2(Path(args.run) / name, dest / name)
    card = ckpt.read_card(dest)
    card["name"] = args.name
    ckpt.write_card(dest, card)
    size_mb = (dest / ckpt.WEIGHTS).stat().st_size / 1e6
    print(f"{dest}: weights {size_mb:.1f} MB")

    predictor = Predictor.from_path(dest, device="cpu")
    val = split_samples(load_samples(f"lsp:{data / 'lsp_train'}"))[1]
    metrics = evaluate(predictor, val)
    metrics.update(data=f"lsp:{data / 'lsp_train'}", split="val")
    attach_evaluation(dest, metrics)
    print(f"LSP val PCK@0.2 total {metrics['pck@0.2']['total']:.1f}; per iteration "
          + ", ".join(f"{s['stage']} {s['pck@0.2']['total']:.1f}" for s in metrics["per_iteration"])
          + (f"; visibility AP {metrics['visibility_ap']:.1f}" if metrics.get("visibility_ap") is not None else ""))

    if "train_crops" not in card.get("metrics", {}):
        card = ckpt.read_card(dest)
        card.setdefault("metrics", {})["train_crops"] = training_fit(predictor, card, data)
        ckpt.write_card(dest, card)
        print(f"training-set PCK@0.2 {card['metrics']['train_crops']['pck@0.2']['total']:.1f} (its run did not measure it)")

    # the pedestrian video end to end: detector boxes, tracking, rendered overlays
    examples = dest / "examples"
    shutil.rmtree(examples, ignore_errors=True)
    examples.mkdir()
    skeleton = predictor.skeleton()
    frames: list[tuple[int, np.ndarray, int]] = []

    def keep(item, preds):
        image = item.image
        for p in preds:
            image = draw_pose(image, p.keypoints, skeleton, p.box, min_score=0.2, scores=p.scores)
        frames.append((item.frame, image, len(preds)))

    load = os.getloadavg()[0]  # the figure below is only comparable with others measured at the same load
    results, summary = predict_source(predictor, data / "video" / "vtest.avi", max_frames=args.video_frames, every=20, on_frame=keep)
    chosen = sorted(frames, key=lambda f: -f[2])[:3]
    names = []
    for index, image, _ in sorted(chosen):
        name = f"examples/vtest_{index:04d}.jpg"
        write_image(dest / name, image)
        names.append(name)
    card = ckpt.read_card(dest)
    card["examples"] = names
    card["examples_note"] = (
        f"`poseapp predict --model {args.name} --input vtest.avi --every 20 --max-frames {args.video_frames}`: "
        f"{summary['people']} people in {summary['frames']} frames, boxes from the default person detector on each of these "
        f"frames (20 apart, so none are followed from the frame before), {summary['ms_per_frame']} ms per frame on {card.get('training', {}).get('hardware', 'this CPU')} "
        f"(load average {load:.1f} on {os.cpu_count()} cores while it ran). "
        "The model was trained on LSP/LSPET sports crops, not on small far-away pedestrians: expect rough poses here."
    )
    card["video_demo"] = summary
    ckpt.write_card(dest, card)
    write_markdown(dest)
    if args.default:
        (REPO / "models" / "DEFAULT").write_text(args.name + "\n", encoding="utf-8")
    write_tables()
    print(json.dumps({"model": args.name, "video": summary, "examples": names, "default": args.default}))


def training_fit(predictor: Predictor, card: dict, data: Path, people: int = 200) -> dict:
    """PCK on an evenly spread subset of the model's training people, un-augmented crops: what the
    trainer's train_eval measures each epoch, for runs that did not (train/val fit in the card)."""
    from poseapp.engine.dataset import ImageCache, PoseDataset
    from poseapp.engine.evaluate import evaluate_crops

    specs = [spec.replace("../shared/data", str(data)) for spec in card["training"]["data"]]
    train = [s for spec in specs for s in split_samples(load_samples(spec))[0]]
    subset = train[:: max(1, len(train) // people)][:people]
    model = predictor.model
    dataset = PoseDataset(subset, model.codec(), model.config.input_size, None, ImageCache())
    return evaluate_crops(model, dataset, predictor.device)


def write_tables() -> None:
    """The comparison table in README.md and models/README.md, from every shipped card."""
    table = zoo_table([p for p in list_models() if p.parent == SHIPPED], default_model_name())
    for path in (REPO / "README.md", REPO / "models" / "README.md"):
        path.write_text(replace_table(path.read_text(encoding="utf-8"), table), encoding="utf-8")


if __name__ == "__main__":
    main()
