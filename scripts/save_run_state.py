"""Copy a training run's resume state into git, or back out of it.

Each session starts from a fresh clone, so a long run's state must travel in the repository:
    python scripts/save_run_state.py RUN_DIR runs-state/NAME       # after stopping the run (SIGTERM)
    python scripts/save_run_state.py --restore runs-state/NAME RUN_DIR
The state is train_state.pt as the trainer wrote it (fp32 weights, optimizer moments, EMA,
schedule, RNG, epoch/batch counters; tensors and plain values only, read with
weights_only=True), so the copy resumes bit-exactly; the card and the log's last lines come along
for the record. Copies are byte-for-byte and verified by SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from poseapp.engine import checkpoint as ckpt  # noqa: E402

FILES = (ckpt.STATE, ckpt.CARD, "detector.json")  # detector.json: the person detector's card (issue #27)
LIMIT_MB = 20.0


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_state(src: Path, dest: Path) -> dict:
    if not (src / ckpt.STATE).is_file():
        raise SystemExit(f"{src / ckpt.STATE}: no training state to copy")
    state = ckpt.load_state(src)  # refuses anything that is not plain tensors and values
    dest.mkdir(parents=True, exist_ok=True)
    manifest = {"epoch": int(state["epoch"]), "batch": int(state["batch"]), "resumes": int(state.get("resumes", 0)),
                "train_seconds": round(float(state["train_seconds"])), "files": {}}
    for name in FILES:
        if (src / name).is_file():
            shutil.copyfile(src / name, dest / name)
            if sha256(src / name) != sha256(dest / name):
                raise SystemExit(f"{dest / name}: the copy differs from {src / name}")
            manifest["files"][name] = sha256(dest / name)
    return manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src")
    parser.add_argument("dest")
    parser.add_argument("--restore", action="store_true", help="copy from the tracked folder into a run folder")
    args = parser.parse_args()
    src, dest = Path(args.src), Path(args.dest)
    if args.restore and (dest / ckpt.STATE).is_file():
        if sha256(dest / ckpt.STATE) == sha256(src / ckpt.STATE):
            print(f"{dest}: holds this state already")
            return 0
        if ckpt.load_state(dest)["train_seconds"] > ckpt.load_state(src)["train_seconds"]:
            raise SystemExit(f"{dest}: holds a later state than {src}; not overwriting it")
    manifest = copy_state(src, dest)
    if not args.restore:
        (dest / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    size = sum((dest / n).stat().st_size for n in FILES if (dest / n).is_file()) / 2**20
    print(json.dumps({"to": str(dest), "mb": round(size, 1), **manifest}))
    if size > LIMIT_MB:
        print(f"warning: {size:.1f} MB is more than the {LIMIT_MB:.0f} MB meant for git", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
