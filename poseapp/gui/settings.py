"""The window's remembered state (layout, recent projects, last frame) in one INI file that
follows the per-user folders: $POSEAPP_HOME/settings.ini when set (tests point it at a temporary
folder), else $XDG_CONFIG_HOME/poseapp/settings.ini."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6 import QtCore

RECENT_LIMIT = 8


def settings_path() -> Path:
    if os.environ.get("POSEAPP_HOME"):
        return Path(os.environ["POSEAPP_HOME"]) / "settings.ini"
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "poseapp" / "settings.ini"


def user_settings() -> QtCore.QSettings:
    return QtCore.QSettings(str(settings_path()), QtCore.QSettings.Format.IniFormat)


def recent_projects() -> list[str]:
    value = user_settings().value("recent_projects", [])
    if isinstance(value, str):  # QSettings returns a lone string for a one-item list
        value = [value]
    return [str(v) for v in value or []]


def remember_project(path: str | os.PathLike) -> list[str]:
    path = str(Path(path).resolve())
    recent = [path] + [p for p in recent_projects() if p != path]
    user_settings().setValue("recent_projects", recent[:RECENT_LIMIT])
    return recent[:RECENT_LIMIT]
