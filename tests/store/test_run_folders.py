"""Faults as inputs (lle.store.run_folders): a run killed at any of several points and rerun gives the
uninterrupted run's bytes; two runs into one --out never leave a mixed folder; a full disk is refused before the work
or reported with the folder and the space needed, leaving the folder as it was."""

import errno
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from own_data import run_arguments, small_files

from lle.integrity import FAULT_VARIABLE
from lle.store import run_folders
from lle.store.scores import load_pairs

WORKER = Path(__file__).parents[1] / "run_worker.py"
SMALL_RUN = ("--name", "tiny", "--preprocess", "none", "--max-length", "16", "--epochs", "2")
VOLATILE = {"wall_time_seconds", "run_dir_bytes", "file_sha256", "threads"}  # differ between any two processes


def _start(cache, argv, *, fault=None, env=None):
    import os

    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    if fault:
        environment[FAULT_VARIABLE] = fault
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(cache), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )


def _finish(process, timeout=240):
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def _scores(out):
    folder = out / "layer_scores" / "tiny"
    arrays = {p.name: p.read_bytes() for p in sorted(folder.glob("mine_*.npz"))}
    sidecars = {
        p.name: {k: v for k, v in json.loads(p.read_text()).items() if k not in VOLATILE}
        for p in sorted(folder.glob("mine_*.json"))
    }
    return arrays, sidecars


KILL_POINTS = [
    ("tiny-llama", "pooled validation"),
    ("tiny-llama", "trained"),
    ("tiny-llama", "staged test"),
    ("tiny-llama", "committed mine_validation.json"),
    ("tiny-llama", "committed mine_test.json"),
    ("tiny-bert", "checkpoint saved"),
]


@pytest.mark.slow
@pytest.mark.e2e
def test_a_run_killed_at_any_point_and_rerun_gives_the_uninterrupted_runs_bytes(tmp_path):
    files = small_files(tmp_path)
    models = sorted({model for model, _ in KILL_POINTS})
    mode = {"tiny-bert": ["--mode", "finetune", "--learning-rate", "0.001"], "tiny-llama": []}
    references = {
        m: _start(
            tmp_path / f"cache-ref-{m}", run_arguments(files, tmp_path / f"ref-{m}", *SMALL_RUN, *mode[m], model=m)
        )
        for m in models
    }
    killed = {
        point: _start(
            tmp_path / f"cache-{i}",
            run_arguments(files, tmp_path / f"out-{i}", *SMALL_RUN, *mode[model], model=model),
            fault=point,
        )
        for i, (model, point) in enumerate(KILL_POINTS)
    }
    for model, process in references.items():
        assert _finish(process)[0] == 0, model
    for i, (_model, point) in enumerate(KILL_POINTS):
        code, output = _finish(killed[point])
        assert code == -9, f"{point}: not killed ({code}): {output[-2000:]}"
        out = tmp_path / f"out-{i}"
        # Whatever the kill left is never taken for a finished run.
        assert run_folders.completion(out, "tiny", "mine") is None, point
    reruns = {
        point: _start(
            tmp_path / f"cache-{i}", run_arguments(files, tmp_path / f"out-{i}", *SMALL_RUN, *mode[model], model=model)
        )
        for i, (model, point) in enumerate(KILL_POINTS)
    }
    for i, (model, point) in enumerate(KILL_POINTS):
        code, output = _finish(reruns[point])
        assert code == 0 and "nothing to do" not in output, f"{point}: {output[-2000:]}"
        assert _scores(tmp_path / f"out-{i}") == _scores(tmp_path / f"ref-{model}"), point
        assert run_folders.completion(tmp_path / f"out-{i}", "tiny", "mine") is not None, point
        leftovers = [p.name for p in (tmp_path / f"out-{i}").rglob(".*") if ".staging" in p.name or ".tmp" in p.name]
        assert not leftovers, (point, leftovers)
    again = _start(tmp_path / "cache-0", run_arguments(files, tmp_path / "out-0", *SMALL_RUN, model="tiny-llama"))
    code, output = _finish(again)
    assert code == 0 and "nothing to do" in output


@pytest.mark.slow
@pytest.mark.e2e
def test_a_half_written_run_is_recomputed_never_reported_done_and_never_read(tmp_path):
    files = small_files(tmp_path)
    out = tmp_path / "out"
    code, output = _finish(
        _start(
            tmp_path / "cache",
            run_arguments(files, out, *SMALL_RUN, model="tiny-llama"),
            fault="committed mine_test.npz",
        )
    )
    assert code == -9
    with pytest.raises(Exception, match="interrupted while writing|does not match the checksum|is missing"):
        load_pairs(results_root=out)
    code, output = _finish(_start(tmp_path / "cache", ["evaluate", str(out), "--n-resamples", "10"]))
    assert code == 2 and "Traceback" not in output and "rerun the lle run command" in output, output[-1500:]
    code, output = _finish(_start(tmp_path / "cache", run_arguments(files, out, *SMALL_RUN, model="tiny-llama")))
    assert code == 0 and "interrupted" in output and "nothing to do" not in output, output[-1500:]


@pytest.mark.slow
@pytest.mark.e2e
def test_a_second_run_into_the_same_out_is_refused_naming_the_holder_and_the_folder_stays_whole(tmp_path):
    files = small_files(tmp_path)
    out = tmp_path / "out"
    lock = run_folders.output_lock_path(out, "tiny", "mine")
    out.mkdir()
    (out / ".lle-output.json").write_text("{}\n")
    with run_folders.run_lock(lock, what="a run held by this test"):
        code, output = _finish(
            _start(tmp_path / "cache", run_arguments(files, out, *SMALL_RUN, "--seed", "1", model="tiny-llama"))
        )
    assert code == 2 and "being written by another process" in output and "process " in output, output[-1500:]
    assert not (out / "layer_scores" / "tiny" / "mine_validation.npz").exists()
    # Two at once, with different seeds: whichever runs, the folder holds one run's two splits, never a mix.
    first = _start(tmp_path / "cache-a", run_arguments(files, out, *SMALL_RUN, "--seed", "1", model="tiny-llama"))
    second = _start(tmp_path / "cache-b", run_arguments(files, out, *SMALL_RUN, "--seed", "2", model="tiny-llama"))
    results = [_finish(first), _finish(second)]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0 and codes[1] in (0, 2), results
    for code, output in results:
        if code == 2:
            assert "being written by another process" in output or "made from other inputs" in output, output
    record = run_folders.completion(out, "tiny", "mine")
    assert record is not None
    (pair,) = load_pairs(results_root=out)
    assert pair.validation.provenance["run_key"] == pair.test.provenance["run_key"] == record["run_key"]


def test_splits_from_different_runs_are_refused(tmp_path):
    from lle.integrity import CacheMismatchError
    from lle.store.scores import save_layer_scores, score_path

    for split, key in (("validation", "aaa"), ("test", "bbb")):
        save_layer_scores(
            score_path("r", "d", split, tmp_path),
            np.zeros((2, 2, 2)),
            np.zeros(2),
            {"run": "r", "dataset": "d", "split": split, "run_key": key},
        )
    with pytest.raises(CacheMismatchError, match="come from different runs .run keys aaa and bbb"):
        load_pairs(results_root=tmp_path)


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    return (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
        ).returncode
        == 0
    )


@pytest.mark.slow
def test_a_full_disk_is_refused_before_the_work_or_reported_leaving_the_folder_as_it_was(
    tiny_pipeline, monkeypatch, capsys
):
    from lle import cli
    from lle.runs import pipeline

    files = small_files(tiny_pipeline)
    disk = tiny_pipeline / "disk"
    real = _mount_tmpfs(disk, "48k")
    try:
        if not real:  # no tmpfs for this user: a writer that fails as a full disk does
            disk.mkdir(exist_ok=True)
            monkeypatch.setattr(run_folders.shutil, "disk_usage", lambda p: type("U", (), {"free": 10_000})())
        out = disk / "out"
        with pytest.raises(run_folders.DiskFullError, match=r"free, and the scores of tiny / mine needs about"):
            cli.run_command(cli._parser().parse_args(run_arguments(files, out, *SMALL_RUN, model="tiny-llama")))
        assert not out.exists()  # refused before any work: nothing written
        # The estimate passes but the write hits ENOSPC: said with the folder and the size; nothing left behind.
        monkeypatch.setattr(pipeline, "check_free_space", lambda *a, **k: None)
        if not real:

            def full(*args, **kwargs):
                raise OSError(errno.ENOSPC, "No space left on device")

            monkeypatch.setattr(np, "savez_compressed", full)
        (disk / "ballast").write_bytes(b"\0" * (30_000 if real else 1))
        with pytest.raises(
            run_folders.DiskFullError, match=r"the disk holding .*/out/layer_scores/tiny is full.*needs up to"
        ):
            cli.run_command(cli._parser().parse_args(run_arguments(files, out, *SMALL_RUN, model="tiny-llama")))
        assert not out.exists()
    finally:
        if real:
            subprocess.run(["umount", str(disk)], check=False)
