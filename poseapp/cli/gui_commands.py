"""``poseapp gui`` (the default) and ``poseapp demo``: open the desktop application."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> dict:
    g = sub.add_parser("gui", help="open the application (the default when no command is given)")
    g.add_argument("project", nargs="?", help="project file to open")
    d = sub.add_parser("demo", help="open the application on the bundled demo project")
    d.add_argument("--where", help="folder for the demo project (default: ~/.local/share/poseapp)")
    d.add_argument("--rebuild", action="store_true", help="build the demo project afresh")
    return {"gui": cmd_gui, "demo": cmd_demo}


def cmd_gui(args: argparse.Namespace) -> int:
    from poseapp.gui.app import run_app  # Qt is loaded only when a window is wanted

    return run_app(args.project)


def cmd_demo(args: argparse.Namespace) -> int:
    from poseapp.demo import ensure_demo_project
    from poseapp.gui.app import run_app

    path = ensure_demo_project(args.where, rebuild=args.rebuild) if args.where or args.rebuild else ensure_demo_project()
    print(f"demo project: {path}")
    return run_app(str(path))
