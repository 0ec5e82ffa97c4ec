"""The window opens before PyTorch has loaded (about 2.5 s of the start), and the model panel
fills in CUDA devices and refinement when a thread has loaded it. Run in a fresh interpreter: the
test session has imported torch already."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("pytestqt")

SCRIPT = r'''
import json, os, sys, time
from poseapp.gui.app import application
app = application()
from poseapp.gui.main_window import MainWindow
torch_before_window = "torch" in sys.modules
window = MainWindow()
window.resize(1366, 768)
window.show()
app.processEvents()
panel = window.model_panel
toggle = window.actions_by_name["refine_toggle"]  # Model > Refine other joints after a correction
shown = {"ready": panel.runtime_ready, "note": panel.refine_note.text(), "refine": panel.refine_box.isEnabled(),
         "menu": toggle.isEnabled()}
deadline = time.monotonic() + 180
while not panel.runtime_ready and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.02)
print(json.dumps({"torch_before_window": torch_before_window, "shown": shown, "ready": panel.runtime_ready,
                  "note": panel.refine_note.text(), "refine": panel.refine_box.isEnabled(),
                  "menu": toggle.isEnabled(), "devices": [panel.device_box.itemData(i) for i in range(panel.device_box.count())]}))
'''


def test_the_window_opens_before_pytorch_and_the_model_panel_fills_in_once_it_has_loaded(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "POSEAPP_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["torch_before_window"] is False  # importing the window does not import torch
    # on screen at once, saying what it waits for; refinement is not offered before it can run
    assert result["shown"] == {"ready": False, "note": "Loading PyTorch ...", "refine": False, "menu": False}
    assert result["ready"] and result["refine"] and result["menu"]  # the default recurrent-lite takes hints
    assert result["note"].startswith("Trained with hints")
    assert result["devices"][:2] == ["auto", "cpu"]
