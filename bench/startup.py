"""How long `poseapp demo` takes to put its window on screen, and until the model panel is ready
(PyTorch loaded), offscreen. Each sample is a fresh interpreter, as a user's start is.

Prints the median and range over --runs starts of: window shown (imports, the window, the demo
project opened and drawn) and model ready (PyTorch imported and the panel filled in).
Run: .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

ONE_START = r'''
import json, sys, time
t0 = time.perf_counter()
from poseapp.cli import build_parser
build_parser()
from poseapp.demo import ensure_demo_project
from poseapp.gui.app import application
app = application()
from poseapp.gui.main_window import MainWindow
window = MainWindow()
window.resize(1366, 768)
window.open_project(str(ensure_demo_project()))
window.show()
window.grab()  # drawn, not only laid out
app.processEvents()
shown = time.perf_counter() - t0
panel = window.model_panel
while not getattr(panel, "runtime_ready", True):
    app.processEvents()
    time.sleep(0.005)
print(json.dumps({"shown": shown, "ready": time.perf_counter() - t0}))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    samples = []
    for _ in range(args.runs):
        done = subprocess.run([sys.executable, "-c", ONE_START], capture_output=True, text=True, env=env, cwd=REPO, check=True)
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for key, what in (("shown", "window shown"), ("ready", "model panel ready")):
        values = sorted(s[key] for s in samples)
        print(f"{what}: median {statistics.median(values):.2f} s (range {values[0]:.2f}-{values[-1]:.2f}, {len(values)} starts)")


if __name__ == "__main__":
    main()
