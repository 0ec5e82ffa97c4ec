#!/usr/bin/env bash
# Train the shipped models one after another, each for at most MINUTES per call; run it again to
# resume where it stopped (poseapp train resumes from OUT/train_state.pt). Finished runs are shipped
# into models/ by scripts/ship_model.py. Usage: scripts/train_zoo.sh [MINUTES] [CONFIG ...]
# The long runs of issue #12 (configs/*-long.json) run in the background on one core instead:
#   scripts/long_run.sh start recurrent-lite-long   (resumes from ../runs, else from runs-state/)
#   scripts/long_run.sh save recurrent-lite-long    (stop with a checkpoint, copy it into runs-state/)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(recurrent-lite recurrent-lite-exclude part_regression-lite deeppose-lite cnn_lstm-lite)
mkdir -p runs
for name in "${configs[@]}"; do
  out="runs/$name"
  if [ -f "$out/DONE" ]; then echo "$name: done already"; continue; fi
  echo "$name: training for up to $minutes minutes (log: $out.log)"
  set +e
  .venv/bin/poseapp train --config "configs/$name.json" --out "$out" --max-minutes "$minutes" >> "$out.log" 2>&1
  code=$?
  set -e
  if [ $code -eq 0 ]; then
    touch "$out/DONE"
    default=""; [ "$name" = "recurrent-lite" ] && default="--default"
    .venv/bin/python scripts/ship_model.py "$out" --name "$name" $default
  elif [ $code -eq 3 ]; then
    echo "$name: stopped with a checkpoint; run again to continue"; exit 3
  else
    echo "$name: failed (exit $code), see $out.log"; exit $code
  fi
done
