"""Where a traceback goes instead of the user's screen: a file in poseapp's per-user folder
(``$POSEAPP_HOME/crashes``), named in the one-line message the user sees, so a bug can still be
reported in full."""

from __future__ import annotations

import os
import platform
import sys
import time
import traceback
from typing import Sequence

from poseapp.core.paths import data_home


def write_crash_report(command: str, argv: Sequence[str] | None) -> str:
    """Write the exception being handled to a new file and return its path; when no file can be
    written, the report goes to standard error and that is what is returned."""
    from poseapp import __version__

    text = (
        f"poseapp {__version__} {command}, {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
        f"argv: {list(argv) if argv is not None else sys.argv[1:]}\n"
        f"python {sys.version.split()[0]} on {platform.platform()}\n\n{traceback.format_exc()}"
    )
    try:
        folder = data_home() / "crashes"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        path.write_text(text, encoding="utf-8")
        return str(path)
    except OSError:
        print(text, file=sys.stderr)
        return "the report above"
