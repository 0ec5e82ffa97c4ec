"""Where poseapp keeps per-user files (trained models, the demo project, crash reports)."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """$POSEAPP_HOME, else the XDG data folder (~/.local/share/poseapp)."""
    if os.environ.get("POSEAPP_HOME"):
        return Path(os.environ["POSEAPP_HOME"])
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "poseapp"
