"""The shipped models: the default resolves, loads without running code, is small enough, and its
model card tells the truth (re-measuring the LSP validation split gives the PCK the card claims)."""

import json

import pytest

from poseapp.data import load_samples, split_samples
from poseapp.engine import checkpoint as ckpt
from poseapp.engine.evaluate import evaluate
from poseapp.engine.predictor import Predictor
from poseapp.engine.zoo import SHIPPED, default_model_name, list_models, resolve_model

SHIPPED_MODELS = [p for p in list_models() if p.parent == SHIPPED]


def test_a_default_model_is_shipped():
    name = default_model_name()
    assert name, "models/DEFAULT names no model"
    assert resolve_model("default") == SHIPPED / name


@pytest.mark.parametrize("folder", SHIPPED_MODELS, ids=[p.name for p in SHIPPED_MODELS])
def test_shipped_model_card_is_complete_and_weights_small(folder):
    card = json.loads((folder / ckpt.CARD).read_text())
    for key in ("architecture", "config", "skeleton", "input_size", "codec", "training", "metrics"):
        assert key in card, key
    training = card["training"]
    assert training["train_seconds"] > 0 and training["hardware"] and "LSP" in training["validation_split"]
    assert "lsp_val" in card["metrics"], "run scripts/ship_model.py: the card has no measured validation metrics"
    assert (folder / ckpt.WEIGHTS).stat().st_size <= 20e6
    assert (folder / "README.md").is_file()
    for example in card.get("examples", []):
        assert (folder / example).is_file()


@pytest.mark.parametrize("folder", SHIPPED_MODELS, ids=[p.name for p in SHIPPED_MODELS])
def test_the_card_pck_is_what_eval_measures(folder, lsp_dir):
    card = json.loads((folder / ckpt.CARD).read_text())
    claimed = card["metrics"]["lsp_val"]
    predictor = Predictor.from_path(folder, device="cpu")
    val = split_samples(load_samples(f"lsp:{lsp_dir}"))[1]
    assert len(val) == claimed["n_people"] == 200
    measured = evaluate(predictor, val)
    assert measured["pck@0.2"]["total"] == pytest.approx(claimed["pck@0.2"]["total"], abs=0.3)
    for got, want in zip(measured["per_iteration"], claimed["per_iteration"]):
        assert got["stage"] == want["stage"]
        assert got["pck@0.2"]["total"] == pytest.approx(want["pck@0.2"]["total"], abs=0.3)


def test_the_readme_tables_are_the_cards():
    """The comparison tables in README.md and models/README.md show what the cards hold."""
    from poseapp.engine.model_card import zoo_table
    from poseapp.engine.zoo import SHIPPED

    table = zoo_table(SHIPPED_MODELS, default_model_name())
    for readme in (SHIPPED.parent / "README.md", SHIPPED / "README.md"):
        assert table in readme.read_text(encoding="utf-8"), f"{readme}: run scripts/ship_model.py (write_tables)"
    assert table.count("\n| `") == len(SHIPPED_MODELS)


def test_a_shipped_card_says_once_how_its_weights_were_chosen():
    """Issue #25 item 11: the default's card said both 'no choice was made on the validation
    split' and, in its note, that it is the run's best validation epoch."""
    from pathlib import Path

    for folder in sorted((Path(__file__).resolve().parents[1] / "models").glob("*/")):
        text = (folder / "README.md").read_text()
        note = next((line for line in text.splitlines() if line.startswith("- note:")), "")
        chosen = "the best validation figure" in note or "best on the validation split" in text
        assert not (chosen and "no choice was made" in text), folder.name
