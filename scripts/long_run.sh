#!/usr/bin/env bash
# The long runs of issue #12, resumed in the background on one core:
#   scripts/long_run.sh start NAME   resume (or start) configs/NAME.json into $RUNS/NAME with nohup
#   scripts/long_run.sh stop NAME    SIGTERM: the trainer finishes its step, checkpoints and exits
#   scripts/long_run.sh save NAME    stop, then copy the resume state into runs-state/NAME (commit it)
# RUNS defaults to ../runs (outside the worktree, so merges never touch it). A fresh clone whose
# RUNS/NAME has no state starts from runs-state/NAME when that holds one (bit-exact resume).
# A config with "task": "person-detector" (issue #27) runs the detector's trainer
# (python -m poseapp.detection.train) the same way: same flags, same exit code 3, same state file.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:?start, stop or save}
name=${2:?run name, e.g. recurrent-lite-long}
runs=${RUNS:-../runs}
out="$runs/$name"
python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || python=$(command -v python3)
pidfile="$out.pid"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
case "$action" in
  start)
    if running; then echo "$name: running already (pid $(cat "$pidfile"))"; exit 0; fi
    mkdir -p "$out"
    if [ ! -f "$out/train_state.pt" ] && [ -f "runs-state/$name/train_state.pt" ]; then
      "$python" scripts/save_run_state.py --restore "runs-state/$name" "$out"
    fi
    trainer=(-m poseapp train)
    if grep -q '"task": *"person-detector"' "configs/$name.json"; then trainer=(-m poseapp.detection.train); fi
    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH="$PWD" nohup "$python" "${trainer[@]}" \
      --config "configs/$name.json" --out "$out" --threads 1 >> "$out.log" 2>&1 &
    echo $! > "$pidfile"
    echo "$name: pid $(cat "$pidfile"), log $out.log"
    ;;
  stop|save)
    if running; then
      pid=$(cat "$pidfile"); kill -TERM "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 2; done
      echo "$name: stopped with a checkpoint"
    fi
    if [ "$action" = save ]; then "$python" scripts/save_run_state.py "$out" "runs-state/$name"; fi
    ;;
  *) echo "unknown action $action (start, stop or save)"; exit 2 ;;
esac
