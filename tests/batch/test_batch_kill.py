"""Kill test: SIGKILL a running ``emolens batch`` partway, run the same command again, and get every input
exactly once with the results of an uninterrupted run."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emolens.batch import load_results
from emolens.batch.writer import committed_parts

CLI = [sys.executable, "-c", "import sys; from emolens.cli import main; sys.argv[0] = 'emolens'; main()"]


def _children(pid: int) -> list[int]:
    """Process IDs whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to find the worker processes")
def test_a_killed_job_resumes_to_exactly_the_uninterrupted_results(
    fer_list: Path, reference, same_results, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    command = [*CLI, "batch", str(fer_list), "--out", str(out), "--faces-are-crops"]
    command += ["--workers", "2", "--batch-size", "50", "--part-size", "100"]
    job = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(committed_parts(out, "inputs")) < 3:
            assert job.poll() is None, job.stdout.read().decode()
            assert time.monotonic() < deadline, "no part was committed in time"
            time.sleep(0.02)
        workers = _children(job.pid)
        job.send_signal(signal.SIGKILL)  # the job's process only: its workers must notice and leave
        job.wait()
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers and not any(_alive(p) for p in workers), "worker processes outlived the killed job"
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever is left of the process group started here
            os.killpg(job.pid, signal.SIGKILL)
    done = load_results(out)[0]
    assert 300 <= done.num_rows < 3000, "the job was not killed partway"
    assert done.num_rows == len(set(done.column("input_id").to_pylist()))

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert f"3,000 input(s) found, {done.num_rows:,} already done, {3000 - done.num_rows:,} analysed now" in " ".join(
        rerun.stdout.split()
    )
    assert not list(out.rglob(".*.tmp"))
    same_results(load_results(out), reference[1:])
