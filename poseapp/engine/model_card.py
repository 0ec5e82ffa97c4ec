"""The human-readable model card (``models/NAME/README.md``), rendered from ``card.json``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from poseapp.core.atomic import atomic_open
from poseapp.engine.model_folder import CARD, read_card, write_card

GROUPS = ("head", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "total")


def _pck_rows(per_iteration: list[dict[str, Any]], key: str = "pck@0.2") -> list[str]:
    """One row per stage; "-" where nobody had that group labelled (the neck and head top of COCO people)."""
    rows = ["| stage | " + " | ".join(g.capitalize() for g in GROUPS) + " |", "| --- |" + " ---: |" * len(GROUPS)]
    for stage in per_iteration:
        table = stage[key]
        rows.append(f"| {stage['stage']} | " + " | ".join(f"{table[g]:.1f}" if g in table else "-" for g in GROUPS) + " |")
    return rows


def _kept(training: dict[str, Any]) -> str:
    runs = training.get("epochs_run", "?")
    if training.get("kept") == "last":
        among = "; no epoch was chosen on the validation split (but see selection below)" if training.get("selection") \
            else "; no choice was made on the validation split"
        return f"the weights after the last epoch ({runs} of {runs}){among}"
    epoch = training.get("kept_epoch", training.get("best_epoch"))
    number = epoch + 1 if isinstance(epoch, int) else "?"
    return (f"the weights of epoch {number} of {runs}, the best on the validation split: the accuracy below is "
            f"the best of {runs} looks at that split, a little optimistic")


def _ancestors(training: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs a fine-tuned model grew from (``initialized_from``, as its trainer copied them), oldest last."""
    chain, parent = [], training.get("initialized_from")
    while parent:
        chain.append(parent)
        parent = parent.get("initialized_from")
    return chain


def _lineage_lines(training: dict[str, Any]) -> list[str]:
    """One line per ancestor run, with the training time of each."""
    lines: list[str] = []
    for parent in _ancestors(training):
        cfg = parent.get("config", {})
        pck = parent.get("lsp_val_pck@0.2")
        lines.append(
            f"- started from `{parent.get('model', '?')}`: {parent.get('epochs_run', '?')} epochs of {cfg.get('model', '?')} "
            f"(occlusion `{cfg.get('occlusion', '?')}`, lr {cfg.get('lr', '?')}) on {', '.join(parent.get('data', [])) or '?'}, "
            f"{parent.get('train_seconds', 0) / 3600:.2f} h on {parent.get('hardware', '?')}"
            + (f"; LSP val PCK@0.2 {pck:.1f} at that point" if pck is not None else "")
            + (f" ({parent['note']})" if parent.get("note") else "")
        )
    total = training.get("train_seconds", 0) + sum(p.get("train_seconds", 0) for p in _ancestors(training))
    if lines:
        lines.append(f"- training time in all, this run and the runs it grew from: {total / 3600:.2f} h")
    if training.get("selection"):
        lines.append(f"- selection: {training['selection']}")
    for change in training.get("recipe_changes", []):
        lines.append(f"- recipe change at step {change['step']} (epoch {change['epoch'] + 1}): "
                     f"{change['option']} {change['from']} -> {change['to']}")
    return lines


def _recipe_lines(training: dict[str, Any]) -> list[str]:
    """Steps, resumes, EMA and hint training: what a long run's card must tell (issue #12)."""
    cfg = training.get("config", {})
    if "steps" not in training:
        return []  # trained before these were recorded
    parts = [f"{training['steps']} optimizer steps", f"resumed {training.get('resumes', 0)} time(s)",
             f"weights: {training.get('weights', 'last step')}"
             + (f" (decay {cfg['ema_decay']})" if cfg.get("ema_decay") else "")]
    if cfg.get("hints"):
        chosen = (f"{100 * cfg['hint_worst']:.0f}% of them the joints the first estimate gets most wrong, the rest random"
                  if cfg.get("hint_worst") else "random joints")
        ends = "; hinted limbs drawn to the model's own estimate" if cfg.get("hint_limb_ends") == "estimate" else ""
        parts.append(f"hint training: {100 * cfg['hints']:.0f}% of samples get 1-{cfg.get('max_hints', '?')} "
                     f"ground-truth joint maps in the input of the recurrent (or regression) stage ({chosen}{ends})")
    if cfg.get("model_overrides"):
        parts.append("model options " + ", ".join(f"{k}={v}" for k, v in cfg["model_overrides"].items()))
    return ["- " + "; ".join(parts)]


def _fit_lines(card: dict[str, Any]) -> list[str]:
    """Train vs validation PCK of the kept weights (un-augmented crops): underfitting or overfitting."""
    metrics = card.get("metrics", {})
    train, val = metrics.get("train_crops"), metrics.get("validation_crops")
    if not (train and val):
        return []
    return [f"Fit: PCK@0.2 {train['pck@0.2']['total']:.1f} on {train['n']} training people (un-augmented crops) "
            f"vs {val['pck@0.2']['total']:.1f} on the {val['n']} validation people.", ""]


def _curve_lines(card: dict[str, Any]) -> list[str]:
    """The learning curve, one row per epoch: where a long run stands."""
    history = [h for h in card.get("history", []) if "val" in h]
    if not history or "train_seconds" not in history[-1]:
        return []
    rows = ["## Learning curve", "", "| epoch | steps | CPU-h | train loss | train PCK | val PCK per stage |",
            "| ---: | ---: | ---: | ---: | ---: | --- |"]
    for h in history:
        stages = ", ".join(f"{s['pck@0.2_total']:.1f}" for s in h["val"]["per_iteration"])
        train = f"{h['train']['pck@0.2']['total']:.1f}" if "train" in h else "-"
        loss = f"{h['train_loss']:.4f}" if h.get("train_loss") is not None else "-"
        rows.append(f"| {h['epoch'] + 1} | {h.get('steps', '?')} | {h['train_seconds'] / 3600:.2f} | {loss} | {train} | {stages} |")
    return rows + [""]


def _annotator_lines(annotator: dict[str, Any] | None, hint_trained: bool) -> list[str]:
    if not annotator:
        return []
    per = annotator["corrections_per_person"]
    line = (f"Simulated annotator (`--simulate-annotator`, PCK@{annotator['alpha']}): "
            f"{per['without_refinement']:.2f} corrections per person without refinement")
    if per.get("with_refinement") is not None:
        line += (f", {per['with_refinement']:.2f} with the model re-run on each correction "
                 f"({100 * annotator['ratio']:.0f}%), {annotator['regressions_per_person']:.2f} regressions per person")
        if not hint_trained:
            line += " (this model was trained without hints, so corrections fed back are inputs it never saw)"
    return [line + ".", ""]


def render(card: dict[str, Any]) -> str:
    training = card.get("training", {})
    cfg = training.get("config", {})
    lines = [
        f"# {card['name']}", "",
        f"Architecture `{card['architecture']}` ({cfg.get('model', '?')}), skeleton `{card['skeleton']['name']}`, "
        f"input {card['input_size'][0]} x {card['input_size'][1]} px, {card.get('parameters', 0) / 1e6:.2f} M parameters, "
        f"output: {card.get('output_kind', '?')}.", "",
        "## Training", "",
        f"- data: {', '.join(training.get('data', [])) or '?'} ({training.get('train_samples', '?')} people), "
        f"validation: {training.get('validation_split', '?')} ({training.get('val_samples', '?')} people, never trained on)",
        f"- schedule: {cfg.get('epochs', '?')} epochs, batch {cfg.get('batch_size', '?')}, {cfg.get('optimizer', '?')} lr {cfg.get('lr', '?')} "
        f"with warm-up and cosine decay; occlusion mode `{cfg.get('occlusion', '?')}`; augmentation: rotation, scale, flip, colour",
        f"- {_kept(training)}; "
        f"{training.get('train_seconds', 0) / 3600:.2f} h of training on {training.get('hardware', '?')} "
        f"(autocast {training.get('amp', '?')}, {training.get('world_size', 1)} process(es))",
        *_recipe_lines(training),
        *_lineage_lines(training),
        *(f"- note: {n}" for n in card.get("notes", [])),
        "",
        *_fit_lines(card),
        *_curve_lines(card),
    ]
    evaluation = card.get("metrics", {}).get("lsp_val")
    if evaluation:
        lines += [
            f"## Accuracy on the LSP validation split (`poseapp eval --split val --no-flip-test`, {evaluation['n_people']} people)", "",
            "PCK@0.2 (torso), in percent, per iteration or stage:", "", *_pck_rows(evaluation["per_iteration"]), "",
        ]
        final = evaluation["per_iteration"][-1]
        extra = [f"PCP {final['pcp']:.1f}", f"AUC (PCK@0-0.2) {final['auc']:.1f}", f"mean error {final['mean_px_error']:.1f} px"]
        if "pckh@0.5" in final:
            extra.insert(0, f"PCKh@0.5 {final['pckh@0.5']['total']:.1f}")
        vis = evaluation.get("visibility", {})
        if vis.get("occlusion_ap") is not None:
            extra.append(
                f"occlusion AP {vis['occlusion_ap']:.1f} (chance {vis['occlusion_ap_chance']:.1f}) and visibility AP "
                f"{evaluation['visibility_ap']:.1f} (chance {vis['visibility_ap_chance']:.1f}) from "
                f"{'the visibility head' if vis.get('source') == 'visibility head' else 'the heatmap peaks'}, "
                f"over {vis['visible']} visible and {vis['occluded']} occluded joints"
            )
        lines += ["; ".join(extra) + ".", "", f"Measured {evaluation.get('measured', '?')}.", ""]
        lines += _annotator_lines(evaluation.get("annotator"), bool(cfg.get("hints")))
        lines += _flip_lines(card.get("metrics", {}).get("lsp_val_flip"))
    lines += _coco_lines(card.get("metrics", {}))
    examples = card.get("examples", [])
    if examples:
        lines += ["## Examples", "", card.get("examples_note", ""), ""]
        lines += [f"![{Path(e).stem}]({e})" for e in examples] + [""]
    lines += ["## Files", "", "`weights.safetensors` (loaded without running code) and `card.json` (everything above, machine-readable).", ""]
    return "\n".join(lines)


def _flip_lines(evaluation: dict | None) -> list[str]:
    """The same split with flip test (``poseapp eval``'s default, and the window's)."""
    if not evaluation:
        return []
    final = evaluation["per_iteration"][-1]
    text = (f"With flip test (the mirrored crop too, averaged; on by default in the window and on the command line): "
            f"PCK@0.2 {final['pck@0.2']['total']:.1f}")
    if "pckh@0.5" in final:
        text += f", PCKh@0.5 {final['pckh@0.5']['total']:.1f}"
    vis = evaluation.get("visibility", {})
    if vis.get("occlusion_ap") is not None and vis.get("source") == "visibility head":
        text += f", occlusion AP {vis['occlusion_ap']:.1f} (chance {vis['occlusion_ap_chance']:.1f})"
    annotator = evaluation.get("annotator") or {}
    per = annotator.get("corrections_per_person") or {}
    if per.get("without_refinement") is not None:
        text += f"; simulated annotator {per['without_refinement']:.2f} corrections per person without refinement"
        if per.get("with_refinement") is not None:
            text += (f", {per['with_refinement']:.2f} with ({100 * annotator['ratio']:.0f}%), "
                     f"{annotator['regressions_per_person']:.2f} regressions per person")
    return [text + f" (measured {evaluation.get('measured', '?')}).", ""]


def write_markdown(folder: Path) -> Path:
    card = read_card(folder)
    path = folder / "README.md"
    with atomic_open(path, "w") as handle:
        handle.write(render(card))
    return path


def _coco_lines(metrics: dict[str, Any]) -> list[str]:
    """Corrections per held-out COCO person (bench/coco_people.py --update-card), when measured."""
    runs = [(metrics[k], label) for k, label in (("coco_val", "off"), ("coco_val_flip", "on")) if k in metrics]
    if not runs:
        return []
    lines = [f"## Held-out COCO people ({runs[0][0]['people']}, ground-truth boxes; `bench/coco_people.py`)", "",
             "A labelled joint needs correcting when its own OKS term is below 0.5.", "",
             "| flip test | corrections per person (of labelled) | of them face | limb joints right | OKS AP |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for m, label in runs:
        lines.append(f"| {label} | {m['corrections_per_person']:.2f} (of {m['labelled_per_person']:.1f}) | "
                     f"{m['face_corrections_per_person']:.2f} | {m['limb_joints_right_%']:.1f}% | {m['oks_ap']:.1f} |")
    return lines + ["", f"Measured {runs[-1][0].get('measured', '?')}.", ""]


def attach_evaluation(folder: Path, metrics: dict[str, Any], key: str = "lsp_val") -> None:
    card = read_card(folder)
    metrics = dict(metrics, measured=time.strftime("%Y-%m-%d"))
    metrics["visibility"] = {k: v for k, v in metrics.get("visibility", {}).items() if k != "pr_curve"}
    card.setdefault("metrics", {})[key] = metrics
    write_card(folder, card)
    write_markdown(folder)


TABLE_START = "<!-- shipped models table: written by scripts/ship_model.py from the cards -->"
TABLE_END = "<!-- end of shipped models table -->"


def zoo_table(folders: list[Path], default: str | None = None) -> str:
    """A comparison table of models from their cards: the numbers are the cards' measured ones."""
    rows = [
        "| model | approach | PCK@0.2 per stage (LSP val) | PCKh@0.5 | PCP | occlusion AP (chance) | training | weights |",
        "| --- | --- | --- | ---: | ---: | --- | --- | ---: |",
    ]
    for folder in folders:
        card = read_card(folder)
        training = card.get("training", {})
        cfg = training.get("config", {})
        evaluation = card.get("metrics", {}).get("lsp_val")
        stages = final = None
        if evaluation:
            per = evaluation["per_iteration"]
            stages = ", ".join(f"{s['pck@0.2']['total']:.1f}" for s in per[:-1]) + (", " if len(per) > 1 else "")
            stages += f"**{per[-1]['pck@0.2']['total']:.1f}**"
            final = per[-1]
        vis = (evaluation or {}).get("visibility", {})
        runs = [training, *_ancestors(training)]  # a fine-tuned model's training includes its ancestors'
        seconds = sum(r.get("train_seconds", 0) for r in runs)
        epochs = sum(r.get("epochs_run") or 0 for r in runs)
        approach = card["architecture"] + (f", occlusion `{cfg['occlusion']}`" if card["architecture"] == "recurrent" else "")
        skeleton = (card.get("skeleton") or {}).get("name", "?")
        name = f"`{card['name']}` ({skeleton}" + (", default)" if card["name"] == default else ")")
        cells = [name, approach, stages or "not measured"]
        # PCKh needs a neck and head top, which a COCO-17 model has not: "-" there
        cells += [f"{final['pckh@0.5']['total']:.1f}" if "pckh@0.5" in final else "-", f"{final['pcp']:.1f}"] if final else ["", ""]
        cells.append(f"{vis['occlusion_ap']:.1f} ({vis['occlusion_ap_chance']:.1f})" if vis.get("occlusion_ap") is not None else "-")
        cells.append(f"{epochs} epochs, {seconds / 3600:.1f} h, {training.get('hardware', '?')}")
        cells.append(f"{(folder / 'weights.safetensors').stat().st_size / 1e6:.1f} MB")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([TABLE_START, *rows, TABLE_END])


def replace_table(text: str, table: str) -> str:
    """``text`` with its shipped-models table (between the markers) replaced by ``table``."""
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < 0:
        raise ValueError("the shipped models table markers are missing")
    return text[:start] + table + text[end + len(TABLE_END):]


__all__ = ["render", "write_markdown", "attach_evaluation", "zoo_table", "replace_table", "CARD"]
