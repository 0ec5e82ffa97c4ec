"""An edit reported as applied survives SIGKILL of the process that made it."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from poseapp.core.skeleton import LSP14
from poseapp.store import Project

CHILD = textwrap.dedent(
    """
    import sys, numpy as np
    from poseapp.store import Instance, Project
    project = Project.open(sys.argv[1])
    frame_ids = project.frame_ids()
    inst_id = project.instances(frame_ids[0])[0].id
    i = 0
    while True:
        kps = np.zeros((14, 3)); kps[:, 0] = i; kps[:, 1] = 2 * i; kps[:, 2] = 2
        added = project.add_instance(Instance(frame_ids[i % len(frame_ids)], "lsp14", kps))
        project.set_keypoint(inst_id, i % 14, float(i), float(i) + 0.5, v=1 + i % 2)
        print(f"applied {i} {added.id}", flush=True)
        i += 1
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_kill_minus_nine_loses_no_reported_edit(tmp_path):
    path = tmp_path / "crash.poseapp"
    with Project.open(path, create=True) as p:
        p.ensure_skeleton(LSP14)
        src = p.add_source("folder", tmp_path)
        fids = p.add_frames(src.id, [(i, f"{i}.jpg", 64, 64, None, {}) for i in range(10)])
        from poseapp.store import Instance

        p.add_instance(Instance(fids[0], "lsp14", np.zeros((14, 3))))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    applied = []
    for line in child.stdout:
        _, i, inst_id = line.split()
        applied.append((int(i), int(inst_id)))
        if len(applied) == 60:
            break
    os.kill(child.pid, signal.SIGKILL)  # mid-stream: the child is busy with the next edits
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert len(applied) == 60

    with Project.open(path) as p:
        assert p._query_one("PRAGMA integrity_check")[0] == "ok"
        for i, inst_id in applied:
            inst = p.instance(inst_id)
            assert inst.keypoints[0, 0] == i and inst.keypoints[0, 1] == 2 * i
        # The keypoint edits: every reported one is there, or a later edit of the same joint.
        base = p.instances(p.frame_ids()[0])[0]
        for joint in range(14):
            last = max(i for i, _ in applied if i % 14 == joint)
            assert base.keypoints[joint, 0] >= last
            if base.keypoints[joint, 0] == last:
                assert base.keypoints[joint].tolist() == [last, last + 0.5, 1 + last % 2]
