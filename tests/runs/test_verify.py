"""lle verify on tiny random models: an own run regenerates bit for bit; a changed score file or data file is caught."""

import json
from pathlib import Path

import numpy as np
import pytest
from own_data import run_arguments, two_column_files

from lle import cli
from lle.runs import verify
from lle.store.scores import EVAL_SPLITS, LayerScores, load_layer_scores, save_layer_scores, score_path


@pytest.fixture
def own_run(tiny_pipeline, tmp_path):
    files = two_column_files(tmp_path / "data")
    out = tmp_path / "out"
    assert cli.main(run_arguments(files, out, "--epochs", "1", "--max-length", "16", model="tiny-llama")) == 0
    return files, out


@pytest.mark.slow
def test_an_own_run_regenerates_bit_for_bit_and_changes_are_caught(own_run, capsys):
    files, out = own_run
    capsys.readouterr()
    assert cli.main(["verify", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("bit-identical") == 2 and "reproduced in" in printed and "NOT" not in printed
    path = score_path("tiny-llama-frozen", "mine", "validation", out)
    cached = load_layer_scores(path)
    provenance = {
        k: v
        for k, v in cached.provenance.items()
        if k not in ("file_sha256", "n_samples", "n_layers", "n_classes", "package_version")
    }
    shifted = cached.log_probs.copy()
    shifted[0, -1] = shifted[0, -1][::-1]  # one sample's final layer, classes reversed
    save_layer_scores(path, shifted, cached.labels, provenance)
    capsys.readouterr()
    assert cli.main(["verify", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "validation: largest |Δ log p|" in printed and "NOT reproduced (tolerance 0.0001)" in printed
    files["train"].write_text(files["train"].read_text() + "so happy,so,happy\n")
    assert cli.main(["verify", str(out)]) == 2
    assert "data files of tiny-llama-frozen / mine changed since the run (train" in capsys.readouterr().err


@pytest.mark.slow
def test_a_recorded_run_whose_score_files_are_not_kept_is_compared_by_its_checksums(own_run):
    """A training seed whose large score files are not committed keeps its sidecars (lle.runs.seeds): verifying it
    recomputes the files and compares their SHA-256 with the recorded one."""
    from lle.store.scores import cached_runs, recorded_runs

    _, out = own_run
    path = score_path("tiny-llama-frozen", "mine", "validation", out)
    path.unlink()
    assert ("tiny-llama-frozen", "mine", "validation") in set(recorded_runs(out)) - set(cached_runs(out))
    frame = verify.verify_run("tiny-llama-frozen", "mine", results_root=out, progress=False).set_index("split")
    assert frame.bit_identical.all() and (frame.max_difference == 0).all()
    assert frame.loc["validation", "agreement_per_layer"] == "[]"  # unknown without the cached file
    sidecar = path.with_suffix(".json")
    sidecar.write_text(sidecar.read_text().replace('"file_sha256": "', '"file_sha256": "0'))
    frame = verify.verify_run("tiny-llama-frozen", "mine", results_root=out, progress=False).set_index("split")
    assert not frame.loc["validation", "bit_identical"] and np.isnan(frame.loc["validation", "max_difference"])
    assert frame.loc["test", "bit_identical"]


def test_comparison_of_scores():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 20)
    scores = LayerScores(rng.normal(size=(20, 4, 3)).astype(np.float32), labels, {})
    same = verify.compare_scores("test", scores, scores)
    assert same.bit_identical and same.max_difference == 0 and same.agreement_per_layer == (1.0,) * 4
    moved = LayerScores(scores.log_probs + np.float32(1e-3), labels, {})
    result = verify.compare_scores("test", scores, moved)
    assert not result.bit_identical and result.max_difference == pytest.approx(1e-3, rel=1e-3)
    with pytest.raises(ValueError, match="made from other data"):
        verify.compare_scores("test", scores, LayerScores(scores.log_probs[:5], labels[:5], {}))


def test_verify_all_lists_runs_beyond_the_budget_as_pending(tmp_path):
    for run, seconds in (("cheap", 5.0), ("dear", 500.0)):
        for split in ("validation", "test"):
            save_layer_scores(
                score_path(run, "tweet_hate", split, tmp_path),
                np.zeros((2, 2, 2)),
                np.zeros(2),
                {"run": run, "dataset": "tweet_hate", "split": split, "wall_time_seconds": {"total": seconds}},
            )
    # Another training seed of "dear" (lle.runs.seeds) is listed right after its seed 0.
    for split in ("validation", "test"):
        save_layer_scores(
            score_path("dear", "tweet_hate", split, tmp_path / "seeds" / "seed1"),
            np.zeros((2, 2, 2)),
            np.zeros(2),
            {"run": "dear", "dataset": "tweet_hate", "split": split, "wall_time_seconds": {"total": 600.0}},
        )
    assert [(r, s) for r, _, s, _ in verify.runs_by_cost(tmp_path)] == [("cheap", 0), ("dear", 0), ("dear", 1)]
    report = verify.verify_all(tmp_path / "verification.csv", results_root=tmp_path, limit_seconds=1.0, progress=False)
    assert set(report.status) == {"pending"} and sorted(report.estimated_seconds.unique()) == [5.0, 500.0, 600.0]
    assert json.loads(json.dumps(list(report.run))) == ["cheap", "cheap", "dear", "dear", "dear", "dear"]
    assert list(report.seed) == [0, 0, 0, 0, 1, 1]


def test_an_interrupted_verify_all_leaves_every_run_in_the_report(tmp_path, monkeypatch):
    """After each verified run the whole report is written: runs not reached keep their stored rows or are listed
    as pending, so stopping the job loses no row."""
    import pandas as pd

    for run, seconds in (("a", 1.0), ("b", 2.0), ("c", 3.0)):
        for split in ("validation", "test"):
            save_layer_scores(
                score_path(run, "tweet_hate", split, tmp_path),
                np.zeros((2, 2, 2)),
                np.zeros(2),
                {"run": run, "dataset": "tweet_hate", "split": split, "wall_time_seconds": {"total": seconds}},
            )
    report_path = tmp_path / "verification.csv"
    first = verify.verify_all(report_path, results_root=tmp_path, limit_seconds=0.0, progress=False)
    stored = first[first.run == "c"].assign(status="reproduced", max_difference=0.0)  # c was verified before
    pd.concat([first[first.run != "c"], stored]).to_csv(report_path, index=False)
    calls = []

    def fake_run(run, dataset, **kwargs):
        if calls:
            raise KeyboardInterrupt
        calls.append(run)
        return pd.DataFrame(
            [
                {"run": run, "dataset": dataset, "seed": 0, "split": s, "max_difference": 0.0}
                for s in ("validation", "test")
            ]
        )

    monkeypatch.setattr(verify, "verify_run", fake_run)
    with pytest.raises(KeyboardInterrupt):
        verify.verify_all(report_path, results_root=tmp_path, progress=False)
    left = pd.read_csv(report_path)
    assert dict(zip(left.run, left.status)) == {"a": "reproduced", "b": "pending", "c": "reproduced"}
    assert len(left) == 6


def test_the_summary_reports_each_run_once_and_names_what_differs_and_what_is_pending(tmp_path):
    import pandas as pd

    def rows(run, status, difference, f1, seconds):
        done = status != "pending"
        return [
            {
                "run": run,
                "dataset": "goemotions",
                "split": split,
                "status": status,
                "bit_identical": (difference == 0) if done else None,
                "max_difference": difference if done else None,
                "final_f1_cached": 0.5 if done else None,
                "final_f1_recomputed": f1 if done else None,
                "seconds": seconds if done else None,
                "estimated_seconds": 600.0,
                "date": "2026-01-02" if done else None,
                "machine": "x86_64, 2 cores" if done else None,
            }
            for split in ("validation", "test")
        ]

    path = tmp_path / "verification.csv"
    columns = [c for c in verify.REPORT_COLUMNS if c != "seed"]  # a report written before seeds were recorded
    pd.DataFrame(
        rows("same", "reproduced", 0.0, 0.5, 3600.0)
        + rows("moved", "differs", 2.5, 0.4, 1800.0)
        + rows("later", "pending", None, None, None),
        columns=columns,
    ).to_csv(path, index=False)
    summary = verify.summarize(verify.load_report(path))
    assert list(summary.run) == ["same", "moved", "later"] and list(summary.seed) == [0, 0, 0]
    assert list(summary.status) == ["reproduced", "differs", "pending"]
    assert list(summary.bit_identical) == [True, False, None]
    text = verify.findings(summary)
    assert text.startswith("2 of 3 cached runs were recomputed") and "1 gave back both score files bit for bit" in text
    assert "1 differed by more than the tolerance" in text and "1.5 hours of wall time" in text
    assert "moved / goemotions differs**: largest |Δ log p| 2.5" in text and "recomputed 0.4000" in text
    assert "later / goemotions (about 10 min)" in text
    table = verify.markdown(summary).split("\n\n")[1].splitlines()
    assert len(table) == 2 + 3 and all(line.count("|") == table[0].count("|") for line in table)
    assert "10 (estimated)" in table[-1]
    with pytest.raises(FileNotFoundError, match="lle verify --all"):
        verify.load_report(tmp_path / "missing.csv")


def test_a_run_cached_on_other_cpu_kernels_is_named_and_compared_by_the_tolerance():
    import torch

    here = torch.backends.cpu.get_cpu_capability()
    assert verify.kernel_difference({}) is None  # runs cached before the kernel was recorded
    assert verify.kernel_difference({"cpu_capability": here}) is None
    note = verify.kernel_difference({"cpu_capability": "ANOTHER"})
    assert note.startswith(f"the cached run used torch's ANOTHER CPU kernels, the recomputation {here}")
    assert f"within the tolerance ({verify.TOLERANCE:g})" in note
    here_cpu = verify.cpu_description()
    assert verify.kernel_difference({"cpu_capability": here, "cpu": here_cpu}) is None
    other = verify.kernel_difference({"cpu_capability": here, "cpu": "Another CPU (avx2)"})
    assert other.startswith(f"the cached run ran on Another CPU (avx2), the recomputation on {here_cpu}")


def test_a_paper_runs_sidecar_is_rebuilt_with_its_recorded_seed_and_a_mismatching_recipe_is_named():
    from lle.runs.pipeline import find_run

    recipe = find_run("gemma-3-270m-frozen-head", "tweet_hate").recipe.to_dict()
    provenance = {"run": "gemma-3-270m-frozen-head", "dataset": "tweet_hate", "recipe": {**recipe, "seed": 2}}
    run, source = verify.rebuild_run(provenance)
    assert run.recipe.seed == 2 and source is None and run.recipe.to_dict() == {**recipe, "seed": 2}
    edited = {**provenance, "recipe": {**recipe, "learning_rate": 0.5}}
    with pytest.raises(ValueError, match=r"differs from that run's in \['learning_rate'\].*no longer matches"):
        verify.rebuild_run(edited)


@pytest.mark.slow
def test_verify_holds_to_the_rules_of_lle_run(own_run, tmp_path, capsys, monkeypatch):
    files, out = own_run
    # A sidecar edited by hand is named as one that no longer matches its run, not as "not reproducible".
    sidecar = score_path("tiny-llama-frozen", "mine", "test", out).with_suffix(".json")
    original = sidecar.read_text()
    edited = json.loads(original)
    edited["recipe"]["seed"] = 7
    sidecar.write_text(json.dumps(edited))
    capsys.readouterr()
    assert cli.main(["verify", str(out)]) == 2
    error = capsys.readouterr().err
    assert f"the sidecar {sidecar} no longer matches its run: it records run key" in error
    sidecar.write_text(original)
    # --keep obeys --out's rules: a folder holding files lle did not write is refused, nothing replaced.
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("mine")
    assert cli.main(["verify", str(out), "--keep", str(foreign)]) == 2
    assert "already holds files that lle did not write" in capsys.readouterr().err
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]
    # The recorded data paths are absolute: verification works from any folder.
    monkeypatch.chdir(tmp_path / "data")
    assert cli.main(["verify", str(out), "--keep", str(tmp_path / "kept"), "--tolerance", "0"]) == 0
    assert (tmp_path / "kept" / "layer_scores" / "tiny-llama-frozen" / "mine_test.npz").is_file()


@pytest.mark.slow
def test_a_kept_recomputation_is_compared_without_recomputing(own_run, tmp_path, capsys, monkeypatch):
    _, out = own_run
    kept = tmp_path / "kept"
    assert cli.main(["verify", str(out), "--keep", str(kept)]) == 0
    monkeypatch.setattr(verify, "_recompute", lambda *args: pytest.fail("recomputed instead of reading the kept files"))
    capsys.readouterr()
    assert cli.main(["verify", str(out), "--recomputed", str(kept), "--tolerance", "0"]) == 0
    assert capsys.readouterr().out.count("bit-identical") == 2
    frame = verify.verify_run("tiny-llama-frozen", "mine", results_root=out, recomputed=kept, progress=False)
    recorded = json.loads(score_path("tiny-llama-frozen", "mine", "test", kept).with_suffix(".json").read_text())
    assert (frame.seconds == round(recorded["wall_time_seconds"]["total"], 1)).all()
    assert frame.machine.str.endswith("(recomputed earlier, kept)").all() and frame.bit_identical.all()
    # A folder without this run's recomputation, or with another run's, is named with the fix.
    assert cli.main(["verify", str(out), "--recomputed", str(tmp_path / "empty")]) == 2
    assert "holds no recomputation of tiny-llama-frozen / mine" in capsys.readouterr().err
    sidecar = score_path("tiny-llama-frozen", "mine", "test", kept).with_suffix(".json")
    sidecar.write_text(sidecar.read_text().replace(recorded["run_key"], "0" * 16))
    assert cli.main(["verify", str(out), "--recomputed", str(kept)]) == 2
    assert "records run key 0000000000000000" in capsys.readouterr().err
    assert cli.main(["verify", str(out), "--recomputed", str(kept), "--keep", str(tmp_path / "again")]) == 2
    assert "drop --keep" in capsys.readouterr().err and not (tmp_path / "again").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["verify", "x", "y", "--limit-seconds", "60"], "--limit-seconds goes with --all"),
        (["verify", "x", "y", "--only", "a", "b"], "--only RUN DATASET goes with --all"),
        (["verify", "x", "y", "--seed", "1"], "--seed K goes with --all"),
        (["verify", "gemma-3-270m-frozen-hed", "tweet_hat"], "did you mean gemma-3-270m-frozen-head tweet_hate\\?"),
    ],
)
def test_verify_refuses_flags_that_do_not_apply_and_suggests_the_nearest_run(argv, message, capsys):
    assert cli.main(argv) == 2
    assert __import__("re").search(message, capsys.readouterr().err)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["verify", "--all", "--limit-seconds", "soon"], "e.g. 3600 for an hour"),
        (["verify", "x", "y", "--tolerance", "-1"], "e.g. 1e-4, the default; 0 asks for identical values"),
    ],
)
def test_verify_flag_messages_give_examples_that_fit_the_flag(argv, message, capsys):
    with pytest.raises(SystemExit):
        cli.main(argv)
    error = capsys.readouterr().err
    assert message in error and "fine-tuning" not in error


def test_verify_all_recomputes_only_the_training_seeds_asked_for(tmp_path, monkeypatch):
    import pandas as pd

    for seed_root in (tmp_path, tmp_path / "seeds" / "seed1"):
        for split in EVAL_SPLITS:
            save_layer_scores(
                score_path("a", "tweet_hate", split, seed_root),
                np.zeros((2, 2, 2)),
                np.zeros(2),
                {"run": "a", "dataset": "tweet_hate", "split": split, "wall_time_seconds": {"total": 1.0}},
            )
    calls = []

    kept_in = []

    def fake_run(run, dataset, *, results_root, keep_dir, recomputed, **kwargs):
        calls.append(results_root)
        kept_in.append({"keep_dir": keep_dir, "recomputed": recomputed})
        sha = {s: verify.sidecar(run, dataset, s, results_root)["file_sha256"] for s in EVAL_SPLITS}
        return pd.DataFrame(
            [
                {"run": run, "dataset": dataset, "seed": 1, "split": s, "max_difference": 0.0, "file_sha256": sha[s]}
                for s in EVAL_SPLITS
            ]
        )

    monkeypatch.setattr(verify, "verify_run", fake_run)
    report = verify.verify_all(tmp_path / "verification.csv", results_root=tmp_path, seeds={1}, progress=False)
    assert calls == [tmp_path / "seeds" / "seed1"]
    assert kept_in == [{"keep_dir": None, "recomputed": None}]
    assert dict(zip(zip(report.seed, report.split), report.status)) == {
        (0, "validation"): "pending",
        (0, "test"): "pending",
        (1, "validation"): "reproduced",
        (1, "test"): "reproduced",
    }
    # A folder laid out like results/ holds seed K under seeds/seedK, for --keep and --recomputed alike.
    (tmp_path / "verification.csv").unlink()
    verify.verify_all(
        tmp_path / "verification.csv", results_root=tmp_path, seeds={1}, recomputed="kept", progress=False
    )
    assert kept_in[-1] == {"keep_dir": None, "recomputed": Path("kept") / "seeds" / "seed1"}


def test_two_verify_jobs_at_once_keep_each_others_rows(tmp_path, monkeypatch):
    """While one job recomputes run b, another verifies run a and writes the report; the first job's write merges
    with the report on disk instead of overwriting a's rows with the 'pending' it read at its start."""
    import pandas as pd

    for run in ("a", "b"):
        for split in ("validation", "test"):
            save_layer_scores(
                score_path(run, "tweet_hate", split, tmp_path),
                np.zeros((2, 2, 2)),
                np.zeros(2),
                {"run": run, "dataset": "tweet_hate", "split": split, "wall_time_seconds": {"total": 1.0}},
            )
    report_path = tmp_path / "verification.csv"
    verify.verify_all(report_path, results_root=tmp_path, limit_seconds=0.0, progress=False)

    def fake_run(run, dataset, **kwargs):
        if run == "b":  # the other job finishes a while this one computes b
            verify.verify_all(report_path, results_root=tmp_path, progress=False, only=[("a", "tweet_hate")])
        sha = {s: verify.sidecar(run, dataset, s, tmp_path)["file_sha256"] for s in EVAL_SPLITS}
        rows = [
            {"run": run, "dataset": dataset, "seed": 0, "split": s, "max_difference": 0.0, "file_sha256": sha[s]}
            for s in EVAL_SPLITS
        ]
        return pd.DataFrame(rows)

    monkeypatch.setattr(verify, "verify_run", fake_run)
    verify.verify_all(report_path, results_root=tmp_path, progress=False, only=[("b", "tweet_hate")], seeds={0})
    final = pd.read_csv(report_path)
    assert dict(zip(final.run, final.status)) == {"a": "reproduced", "b": "reproduced"} and len(final) == 4


def test_a_run_recorded_after_a_verify_job_started_keeps_its_rows(tmp_path, monkeypatch):
    """A job that started before another run was computed (and verified by a second job) must not drop that run's
    rows when it writes the report: each write lists the runs recorded at that moment, not at the job's start."""
    import pandas as pd

    def record(run):
        for split in EVAL_SPLITS:
            save_layer_scores(
                score_path(run, "tweet_hate", split, tmp_path),
                np.zeros((2, 2, 2)),
                np.zeros(2),
                {"run": run, "dataset": "tweet_hate", "split": split, "wall_time_seconds": {"total": 1.0}},
            )

    def fake_rows(run, dataset):
        sha = {s: verify.sidecar(run, dataset, s, tmp_path)["file_sha256"] for s in EVAL_SPLITS}
        return pd.DataFrame(
            [
                {"run": run, "dataset": dataset, "seed": 0, "split": s, "max_difference": 0.0, "file_sha256": sha[s]}
                for s in EVAL_SPLITS
            ]
        )

    record("a")
    report_path = tmp_path / "verification.csv"

    def fake_run(run, dataset, **kwargs):
        if run == "a":  # meanwhile run b is computed and another job verifies it
            record("b")
            verify.verify_all(report_path, results_root=tmp_path, progress=False, only=[("b", "tweet_hate")])
        return fake_rows(run, dataset)

    monkeypatch.setattr(verify, "verify_run", fake_run)
    verify.verify_all(report_path, results_root=tmp_path, progress=False, only=[("a", "tweet_hate")])
    final = pd.read_csv(report_path)
    assert dict(zip(final.run, final.status)) == {"a": "reproduced", "b": "reproduced"} and len(final) == 4
