"""``poseapp train`` and ``finetune``: training runs that print JSON-lines progress."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from poseapp.cli.arguments import architecture, integer, positive_number
from poseapp.core.errors import DataError


def register(sub: argparse._SubParsersAction) -> dict:
    t = sub.add_parser("train", help="train a model; progress as JSON lines; resumes from OUT/train_state.pt")
    t.add_argument("--config", help="training config JSON (see configs/); options below override it")
    t.add_argument("--model", type=architecture, help="architecture and variant, e.g. recurrent-lite (an unknown name lists them)")
    t.add_argument("--data", nargs="+", help="lsp:DIR lspet:DIR coco:FILE yolo:DIR project:FILE (or plain paths)")
    t.add_argument("--out", required=True, help="model folder to write, e.g. models/recurrent-lite")
    t.add_argument("--epochs", type=integer(1), help="passes over the training data (default: the config's, else 40)")
    t.add_argument("--batch-size", type=integer(1), help="people per step (default: the config's, else 16)")
    t.add_argument("--lr", type=positive_number, help="peak learning rate (default: the config's, else 1e-3)")
    t.add_argument("--occlusion", choices=("include", "ignore", "exclude"), help="recurrent: occluded joints")
    t.add_argument("--amp", choices=("auto", "bf16", "fp16", "off"))
    t.add_argument("--max-minutes", type=positive_number, help="stop (with a checkpoint) after this long; run again to go on")
    t.add_argument("--seed", type=int, help="seed of the shuffle, augmentation and initial weights (default: 0)")
    t.add_argument("--max-steps", type=integer(1), help="the run's length in steps (the schedule spans exactly these)")
    t.add_argument("--threads", type=integer(1), help="torch CPU threads")

    f = sub.add_parser("finetune", help="fine-tune a model on a project's annotations")
    f.add_argument("--model", default="default", help="model to start from: folder, model name, or 'default' "
                   "(the shipped model for the project's skeleton: the COCO-17 model for a COCO-17 project)")
    f.add_argument("--project", required=True, help="project file whose manual annotations to train on")
    f.add_argument("--out", help="new model folder (default: MODEL-finetuned beside MODEL; for a shipped model, "
                   "in your models folder, where the window lists it)")
    f.add_argument("--epochs", type=integer(1), help="passes over the project's people (default: enough for at "
                   "least 150 training steps, from 10 to 30 epochs)")
    f.add_argument("--lr", type=positive_number, default=5e-4, help="peak learning rate")
    f.add_argument("--batch-size", type=integer(1), default=16, help="people per step")
    f.add_argument("--max-minutes", type=positive_number, help="stop (with a checkpoint) after this long")
    f.add_argument("--rotation", type=float, help="augmentation: rotate training crops by up to +-DEG degrees "
                   "(default 40, for upright people; 180 for animals seen from above, which face every way)")
    f.add_argument("--background", action="store_true",
                   help="one thread at the lowest priority, so a window beside it stays quick (the window uses this)")
    f.add_argument("--plan-only", action="store_true",
                   help="print the plan (what it trains on, the time per epoch measured by a few steps here) and stop")

    p = sub.add_parser("predict", help="predict poses in an image, a folder or a video; writes a COCO results file")
    p.add_argument("--model", default="default", help="model folder, model name, or 'default'")
    p.add_argument("--input", required=True, help="image, image folder or video")
    p.add_argument("--out", required=True, help="COCO results JSON to write")
    p.add_argument("--iterations", type=integer(0), help="recurrent models: iterations to run (0 = feed-forward only)")
    p.add_argument("--boxes", default="detector", help="person boxes: detector (poseapp's trained person "
                   "detector, models/person-detector), hog (OpenCV's HOG pedestrian detector), whole (the whole image), "
                   "or FILE.json, COCO detection results from any detector ('file_name' or 'image_id', 'bbox', 'score'; "
                   "boxes scoring under 0.3 are left out); a detector that finds nobody gives the whole image")
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1 ...")
    # on by default, as in the window, so the command line's poses are the ones a user saw there
    p.add_argument("--flip-test", action=argparse.BooleanOptionalAction, default=True,
                   help="also run the mirrored crop and average (default: on, as in the window; --no-flip-test "
                        "halves the model's time)")
    p.add_argument("--max-frames", type=integer(1), help="stop after this many frames")
    p.add_argument("--every", type=integer(1), default=1, help="video: predict every Nth frame")
    p.add_argument("--render", help="folder to write overlaid frames to (PNG)")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")

    e = sub.add_parser("eval", help="evaluate a model on ground truth: PCK, PCKh, PCP, AUC, OKS AP, visibility AP")
    e.add_argument("--model", default="default", help="model folder, model name, or 'default'")
    e.add_argument("--data", required=True, help="lsp:DIR | lspet:DIR | coco:JSON | project:FILE")
    e.add_argument("--split", choices=("all", "val"), default="all", help="val: only LSP's held-out im0801-im1000")
    e.add_argument("--out", help="metrics JSON to write")
    e.add_argument("--force", action="store_true", help="replace an existing --out file")
    e.add_argument("--iterations", type=integer(0), help="recurrent models: iterations to run")
    e.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1 ...")
    # on by default like predict and the window, so eval measures the poses a user gets there
    e.add_argument("--flip-test", action=argparse.BooleanOptionalAction, default=True,
                   help="also run the mirrored crop and average (default: on, as in the window and predict; "
                        "--no-flip-test gives the plain figure, kept in a card beside the flip one)")
    e.add_argument("--limit", type=integer(1), help="evaluate only the first N people")
    e.add_argument("--simulate-annotator", action="store_true",
                   help="also count the corrections a person needs with and without the model re-running on them")
    e.add_argument("--update-card", action="store_true", help="record the result in the model's card.json and README.md")
    return {"train": cmd_train, "finetune": cmd_finetune, "predict": cmd_predict, "eval": cmd_eval}


def cmd_eval(args: argparse.Namespace) -> int:
    import sys

    from poseapp.core.atomic import write_json_atomic
    from poseapp.data import load_samples, split_samples
    from poseapp.engine.evaluate import evaluate
    from poseapp.engine.predictor import Predictor
    from poseapp.engine.zoo import resolve_model

    if args.out:  # checked before the work: a project, its -wal, a mistyped folder are refused
        from poseapp.formats.output import check_new_file

        check_new_file(args.out, args.force)
    if args.update_card and args.limit:
        print("poseapp eval: error: --update-card records the whole split; it does not take --limit", file=sys.stderr)
        return 2
    samples = load_samples(args.data)
    if not samples:
        raise DataError(args.data.partition(":")[2] or args.data, "no labelled person in it: nothing to evaluate on")
    if args.split == "val":
        samples = split_samples(samples)[1]
        if not samples:
            print("poseapp eval: error: --split val selects LSP's im0801-im1000, and none is in this data", file=sys.stderr)
            return 1
    samples = samples[: args.limit] if args.limit else samples
    held_out = len(split_samples(samples)[1])
    if held_out < len(samples):  # a figure on training images must not pass for a held-out one
        print(f"poseapp eval: note: {len(samples) - held_out} of these {len(samples)} people are not in the held-out "
              "validation split (LSP im0801-im1000) and may be training images of the model; "
              "--split val gives the held-out figure", file=sys.stderr)
    predictor = Predictor.from_path(resolve_model(args.model), device=args.device, flip_test=args.flip_test)
    metrics = evaluate(predictor, samples, iterations=args.iterations)
    metrics["data"] = args.data
    metrics["split"] = args.split
    metrics["held_out_people"] = held_out  # of n_people: those no model here trains on
    metrics["flip_test"] = bool(args.flip_test)  # two runs of one split must be told apart
    metrics["limit"] = args.limit or None
    if args.simulate_annotator:
        from poseapp.engine.annotator import simulate_annotator

        metrics["annotator"] = simulate_annotator(predictor, samples, iterations=args.iterations)
    if args.out:
        write_json_atomic(args.out, metrics, indent=2)
    if args.update_card:
        from poseapp.engine.model_card import attach_evaluation

        key = "lsp_val" if args.split == "val" else "eval_" + args.data.split(":")[0]
        # a flip-test figure is kept beside the plain one, never in its place
        attach_evaluation(resolve_model(args.model), metrics, key + ("_flip" if args.flip_test else ""))
    _print_metrics(metrics)
    return 0


def _print_metrics(m: dict) -> None:
    # the joint groups this skeleton has (a fly's or a mouse's has none: its total only)
    groups = [g for g in ["head", "shoulder", "elbow", "wrist", "hip", "knee", "ankle"]
              if any(g in stage["pck@0.2"] for stage in m["per_iteration"])] + ["total"]
    how = (", flip test" if m.get("flip_test") else "") + (f", first {m['limit']} people only" if m.get("limit") else "")
    print(f"model {m['model']} on {m['data']} ({m['split']}{how}): {m['n_people']} people in {m['n_images']} images, {m['seconds']} s")
    if m.get("pck_normalised_by"):
        print(f"PCK@0.2: a joint within 0.2 of the {m['pck_normalised_by']}")
    print(f"{'PCK@0.2':16s}" + " ".join(f"{g:>8s}" for g in groups))  # over the rows' 16-character stage names
    for stage in m["per_iteration"]:
        row = stage["pck@0.2"]
        print(f"{stage['stage'][:16]:16s}" + " ".join(f"{row.get(g, float('nan')):8.1f}" for g in groups))
    final = m["per_iteration"][-1]
    extra = [f"PCP {final['pcp']:.1f}", f"AUC {final['auc']:.1f}", f"mean error {final['mean_px_error']:.1f} px"]
    if "pckh@0.5" in final:
        extra.insert(0, f"PCKh@0.5 {final['pckh@0.5']['total']:.1f}")
    if "oks" in final:
        extra.append(f"OKS AP {100 * final['oks']['ap']:.1f} (AP50 {100 * final['oks']['ap50']:.1f})")
    vis = m.get("visibility", {})
    if vis.get("occlusion_ap") is not None:
        extra.append(f"occlusion AP {vis['occlusion_ap']:.1f} (chance {vis['occlusion_ap_chance']:.1f}), "
                     f"visibility AP {m['visibility_ap']:.1f} (chance {vis['visibility_ap_chance']:.1f})")
    print(", ".join(extra))
    ann = m.get("annotator")
    if ann:
        per = ann["corrections_per_person"]
        line = f"annotator: {per['without_refinement']:.2f} corrections per person without refinement"
        if per["with_refinement"] is not None:
            line += (f", {per['with_refinement']:.2f} with ({100 * ann['ratio']:.0f}%), "
                     f"{ann['regressions_per_person']:.3f} regressions per person")
        print(line)


def cmd_predict(args: argparse.Namespace) -> int:
    import json

    from poseapp.core.atomic import write_json_atomic
    from poseapp.engine.inference import predict_source
    from poseapp.engine.predictor import Predictor
    from poseapp.engine.zoo import resolve_model

    from poseapp.formats.output import check_new_file

    check_new_file(args.out, args.force)  # before the work: a project, its -wal, a mistyped folder are refused
    from poseapp.engine.detector import DETECTORS

    if args.boxes not in DETECTORS and args.boxes != "whole":  # a box file is checked before the model loads
        from poseapp.core.errors import DataError
        from poseapp.engine.box_file import BoxFile

        if Path(args.boxes).suffix.lower() != ".json":
            raise DataError(args.boxes, f"--boxes takes {', '.join(sorted(DETECTORS))}, whole or a COCO detections file (FILE.json)")
        if BoxFile(args.boxes).pictures == 0:
            raise DataError(args.boxes, "the file lists no detections: no picture would get a box")
    if args.render and Path(args.render).exists() and not Path(args.render).is_dir():
        from poseapp.core.errors import DataError

        raise DataError(args.render, "--render takes a folder for the drawn pictures, and this is a file")
    predictor = Predictor.from_path(resolve_model(args.model), device=args.device, flip_test=args.flip_test)
    render = None
    if args.render:
        from poseapp.media.images import write_image
        from poseapp.media.render import draw_pose

        skeleton = predictor.skeleton()
        folder = Path(args.render)
        folder.mkdir(parents=True, exist_ok=True)

        def render(item, preds):
            image = item.image
            for p in preds:
                image = draw_pose(image, p.keypoints, skeleton, p.box, min_score=0.2, scores=p.scores)
            name = Path(item.video).stem if item.video is not None else Path(item.name).stem
            suffix = f"_{item.frame:06d}" if item.frame is not None else ""
            write_image(folder / f"{name}{suffix}.png", image)

    show_progress = _stderr_progress(_input_count(args.input, args.max_frames, args.every))

    def on_frame(item, preds):
        if render is not None:
            render(item, preds)
        show_progress()

    results, summary = predict_source(
        predictor, args.input, iterations=args.iterations, boxes=args.boxes, max_frames=args.max_frames,
        every=args.every, on_frame=on_frame,
    )
    show_progress(finished=True)
    write_json_atomic(args.out, results)
    print(json.dumps({"out": args.out, "model": predictor.model_id, "device": str(predictor.device),
                      "flip_test": predictor.flip_test, **summary}))
    if summary["interrupted"]:
        print(f"poseapp predict: interrupted: {args.out} holds the {summary['frames']} frames finished before Ctrl+C",
              file=sys.stderr)
        return 130
    if summary["too_small"]:
        from poseapp.engine.inference import TOO_SMALL

        size = predictor.model.config.input_size
        print(f"poseapp predict: warning: {summary['too_small']} of {summary['people']} people were too small for "
              f"the model (box side under {TOO_SMALL * size:.0f} px; it looks at {size} px): treat those poses as guesses",
              file=sys.stderr)
    if summary.get("box_file_unmatched"):
        print(f"poseapp predict: warning: {Path(args.boxes).name} names {summary['box_file_unmatched']} pictures that are "
              f"not among the {summary['frames']} pictures run ({', '.join(summary['box_file_unmatched_examples'])}"
              f"{', ...' if summary['box_file_unmatched'] > len(summary['box_file_unmatched_examples']) else ''}): "
              "their boxes were not used (a picture is named by its file name or its COCO image id, the number in a "
              "COCO-style file name)", file=sys.stderr)
    if summary.get("weak_fallbacks"):
        print(f"poseapp predict: note: on {summary['weak_fallbacks']} of {summary['frames']} frames nobody passed the "
              "detector's threshold, so its likeliest person (a weaker detection) was taken: check those", file=sys.stderr)
    if summary["whole_image_fallbacks"]:
        print(f"poseapp predict: warning: on {summary['whole_image_fallbacks']} of {summary['frames']} frames the people "
              "detector found nobody, so the whole image was taken as one person's box: those poses may span several "
              "people or none (--boxes whole says so on purpose)", file=sys.stderr)
    return 0


def _input_count(path: str, max_frames: int | None, every: int) -> int | None:
    """How many frames ``predict`` will run on (None when it cannot tell up front)."""
    from poseapp.media.images import is_image_file, is_video_file, list_images
    from poseapp.media.video import probe_video

    p = Path(path)
    try:
        if p.is_dir():
            n = len(list_images(p))
        elif is_video_file(p):
            n = -(-probe_video(p).frame_count // max(every, 1))
        elif is_image_file(p):
            n = 1
        else:
            return None
    except Exception:  # noqa: BLE001 - the run itself names a bad input; the count is only for the bar
        return None
    return min(n, max_frames) if max_frames else n


def _stderr_progress(total: int | None):
    """A one-line progress bar on stderr (frames, frames/s, time left), redrawn in place on a
    terminal and written every 10% otherwise; stdout keeps only the JSON summary."""
    import sys
    import time

    from poseapp.core.progress_text import rate_text

    start, state = time.perf_counter(), {"done": 0, "shown": -1}
    tty = sys.stderr.isatty()

    def show(finished: bool = False) -> None:
        if not finished:
            state["done"] += 1
        done = state["done"]
        tenth = int(10 * done / total) if total else done // 50
        if not (tty or finished or tenth != state["shown"]) or (finished and not tty and state.get("printed") == done):
            return
        state["shown"], state["printed"] = tenth, done
        width = 30
        bar = "#" * int(width * done / total) + "-" * (width - int(width * done / total)) if total else ""
        line = f"[{bar}] " if bar else ""
        line += rate_text(done, total, time.perf_counter() - start)
        end = "\n" if finished or not tty else ""
        sys.stderr.write(("\r" if tty else "") + line + end)
        sys.stderr.flush()

    return show


def _check_config_data_paths(config_file: str, specs: tuple[str, ...]) -> None:
    """A config's relative data paths are read from the current folder (the configs in configs/
    assume the checkout's root), not from the config's folder: say so when one is not found."""
    for spec in specs:
        kind, sep, rest = spec.partition(":")
        path = Path(rest if sep else spec)
        if not path.is_absolute() and not path.exists():
            raise DataError(config_file, f"its data path {spec!r} is read from the current folder ({Path.cwd()}) "
                                         "and is not there; run from the folder its paths assume, or make them absolute")


def cmd_train(args: argparse.Namespace) -> int:
    from poseapp.engine.trainer import TrainConfig, Trainer

    overrides = {
        "model": args.model, "data": tuple(args.data) if args.data else None, "epochs": args.epochs,
        "batch_size": args.batch_size, "lr": args.lr, "occlusion": args.occlusion, "amp": args.amp,
        "max_minutes": args.max_minutes, "seed": args.seed, "max_steps": args.max_steps, "threads": args.threads,
    }
    config = TrainConfig.from_file(args.config, **overrides) if args.config else TrainConfig.from_dict({}, **overrides)
    if args.config and not args.data:
        _check_config_data_paths(args.config, config.data)
    result = Trainer(config, args.out).run()
    return 3 if result.get("stopped") else 0  # 3: stopped early with a checkpoint; run again to resume


def _project_default_model(project_path: str) -> str | None:
    """The shipped model made for the skeleton the project's people are annotated in, if any."""
    from poseapp.engine.zoo import default_model_for
    from poseapp.store import Project
    from poseapp.store.project_file import is_project_file

    if not Path(project_path).is_file() or not is_project_file(Path(project_path)):
        return None  # plan_finetune says what is wrong with it
    with Project.open(project_path, read_only=True) as project:
        return default_model_for(project.annotated_skeleton())


def _default_finetune_out(model: Path) -> Path:
    """Beside a user's model; a shipped model's fine-tuned copy goes to the user's models (the
    checkout or installation may be read-only, and a new model is the user's)."""
    from poseapp.core.paths import data_home
    from poseapp.engine.zoo import SHIPPED

    root = data_home() / "models" if model.resolve().parent == SHIPPED.resolve() else model.parent
    return root / f"{model.name}-finetuned"


def cmd_finetune(args: argparse.Namespace) -> int:
    import json

    from poseapp.engine.finetune_plan import plan_finetune
    from poseapp.engine.threads import run_in_background

    if args.background:
        run_in_background()
    from poseapp.engine.finetune_run import finetune_config
    from poseapp.engine.trainer import Trainer
    from poseapp.engine.zoo import resolve_model

    if args.model == "default":  # the default for the project's skeleton (a COCO-17 project: the COCO-17 model)
        args.model = _project_default_model(args.project) or args.model
    args.model = str(resolve_model(args.model))  # a folder, a model's name, or 'default', as predict takes
    if args.out:  # a wrong --out (a file, someone's folder) is refused before seconds of measuring the plan
        from poseapp.engine.trainer import check_run_folder

        check_run_folder(Path(args.out))
    # what it trains and validates on, and how long an epoch takes here (a few real steps, timed with
    # this process's threads: one with --background), said up front
    plan = plan_finetune(args.project, args.model, batch_size=args.batch_size, measure=True)
    if plan.problem:
        raise DataError(args.project, plan.summary())
    print(json.dumps({"event": "plan", "summary": plan.summary(), "train": plan.train, "val": plan.val,
                      "skipped": plan.skipped, "epoch_s": plan.epoch_seconds(),
                      "timing": plan.timing.to_dict() if plan.timing is not None else None}), flush=True)
    if args.plan_only:
        return 0
    if args.rotation is not None and not 0 <= args.rotation <= 180:
        raise DataError(args.project, f"--rotation is a range of degrees from 0 to 180, not {args.rotation:g}")
    config = finetune_config(args.model, args.project, plan, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                             max_minutes=args.max_minutes, rotation=args.rotation)
    result = Trainer(config, args.out or str(_default_finetune_out(Path(args.model)))).run()
    return 3 if result.get("stopped") else 0
