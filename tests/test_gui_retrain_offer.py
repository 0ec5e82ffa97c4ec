"""The Retrain tab on a project of another skeleton than the selected model's (issue #26): it says
the offer outright (a COCO-17 model from the LSP-14 default: which joints start fresh, which are
kept, which have too few labels), at once, and then the time per epoch measured in the background
by a few real training steps of that run (`poseapp finetune --plan-only --background`)."""

import pytest

pytest.importorskip("pytestqt")

from conftest import new_window  # noqa: E402


def test_the_retrain_tab_states_the_offer_and_then_the_measured_time_per_epoch(qtbot, tmp_path, coco_json):
    from poseapp.engine.finetune_plan import plan_finetune
    from poseapp.engine.zoo import SHIPPED, default_model_name
    from poseapp.formats import import_source
    from poseapp.store import Project

    path = tmp_path / "coco.poseapp"
    with Project.open(path, create=True) as project:
        import_source(project, coco_json)
    window = new_window(qtbot)
    try:
        assert window.open_project(path)
        default = str(SHIPPED / default_model_name())
        window.model_panel.add_model(default)  # the LSP-14 default, not the COCO-17 model the project opened with
        window.retrain_dock.raise_()  # the user clicks the Retrain tab
        panel = window.retrain_panel
        qtbot.waitUntil(lambda: "model for this project" in panel.status.text(), timeout=10_000)
        offer = next(line for line in plan_finetune(path, default).summary().splitlines() if "model for this project" in line)
        assert offer.startswith(f"A COCO-17 model for this project, started from {default_model_name()} (LSP-14): "
                                "5 new joints (nose, left_eye, right_eye, left_ear, right_ear) start fresh; 12 kept")
        assert offer in panel.status.text() and "Too few labels to learn" in offer  # the same words as the CLI's plan
        assert "measuring a few training steps" in panel.status.text() and panel.timer.busy()
        assert panel.process is None  # a plan, not a run
        qtbot.waitUntil(lambda: "Time per epoch on this CPU: about" in panel.status.text(), timeout=180_000)
        timing, problem = panel.timer.known(default, "coco17")
        assert problem is None and timing.threads == 1 and timing.batch_size == 16  # as the window's runs train
        assert "measuring" not in panel.status.text() and offer in panel.status.text()
        # measured once a session: showing the tab again says it at once
        window.occlusion_dock.raise_()
        window.retrain_dock.raise_()
        qtbot.waitUntil(lambda: "Time per epoch on this CPU" in panel.status.text(), timeout=5_000)
        assert not panel.timer.busy()
    finally:
        window.close_project()
