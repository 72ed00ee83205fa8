"""lle run and lle evaluate on a dataset the package has never seen (random words in CSV/TSV/JSONL files), with
tiny random models: all three modes, the comparison table, and clear errors for bad files."""

import json
import re

import pytest
from own_data import run_arguments, two_column_files, write_split

from lle import cli


@pytest.fixture
def files(tiny_pipeline):
    """Tiny random models (tests/conftest.py) and a CSV / TSV / JSON Lines dataset of random words."""
    return {
        "train": write_split(tiny_pipeline / "train.csv", 60, 0),
        "validation": write_split(tiny_pipeline / "dev.tsv", 30, 1),
        "test": write_split(tiny_pipeline / "test.jsonl", 30, 2),
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "model, extra",
    [
        ("tiny-bert", ["--mode", "finetune", "--epochs", "1", "--learning-rate", "0.001"]),
        ("tiny-llama", ["--epochs", "1"]),  # the family default for decoders: a head on frozen states
        ("tiny-llama", ["--mode", "zeroshot", "--max-length", "16"]),
        ("tiny-bert", ["--epochs", "1", "--device", "cpu", "--precision", "bf16", "--max-length", "16"]),
    ],
)
def test_run_then_evaluate_on_a_new_dataset(files, tmp_path, capsys, model, extra):
    out = tmp_path / "out"
    assert cli.main(run_arguments(files, out, *extra, model=model)) == 0
    printed = capsys.readouterr().out
    assert "lle evaluate" in printed and ("max_length auto" in printed) == ("--max-length" not in extra)
    scores = sorted((out / "layer_scores").glob("*/*.npz"))
    assert [p.name for p in scores] == ["mine_test.npz", "mine_validation.npz"]
    assert cli.main(["evaluate", str(out), "--n-resamples", "20"]) == 0
    printed = capsys.readouterr().out
    assert "standard" in printed and "dynamic" in printed and "early-exit test macro-F1" in printed
    assert (out / "results" / "tables" / "comparison.csv").is_file()


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda f, t: {**f, "train": write_split(t / "bad.csv", 10, 3, column="sentence")},
            "no column .'text'.*--text-column",
        ),
        (lambda f, t: {**f, "validation": write_split(t / "odd.csv", 10, 4, labels=("bored",))}, "labels .'bored'."),
        (lambda f, t: {**f, "test": (t / "empty.csv").write_text("text,label\n") and t / "empty.csv"}, "no rows"),
        (lambda f, t: {**f, "test": t / "missing.csv"}, "does not exist"),
        (lambda f, t: {**f, "train": (t / "x.xlsx").write_text("PK") and t / "x.xlsx"}, "unknown format"),
    ],
)
def test_bad_files_fail_clearly(files, tmp_path, capsys, change, message):
    bad = change(files, tmp_path)
    assert cli.main(run_arguments(bad, tmp_path / "out", "--epochs", "1", model="tiny-bert")) == 2
    assert re.search(message, capsys.readouterr().err)


def test_bad_max_length_and_missing_directory(files, tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(run_arguments(files, tmp_path / "out", "--max-length", "long", model="tiny-bert"))
    assert "argument --max-length: must be a whole number >= 1, got 'long'" in capsys.readouterr().err
    assert cli.main(["evaluate", str(tmp_path / "nowhere")]) == 2
    assert "does not exist; pass the --out folder of an lle run" in capsys.readouterr().err


def test_family_defaults_and_overrides():
    from lle.training.recipe import family_recipe

    assert family_recipe("microsoft/deberta-v3-large", "d").learning_rate == 4e-6
    assert family_recipe("my/llama-thing", "d").mode == "frozen"
    assert family_recipe("sentence-transformers/all-MiniLM-L6-v2", "d", learning_rate=1e-4).learning_rate == 1e-4


def test_hub_sources_are_read_through_datasets_and_fail_offline(monkeypatch):
    import datasets

    from lle import network
    from lle.data import FileDataset
    from lle.data import files as data_files

    rows = {"sentence": ["good", "bad", "fine"], "label": [1, 0, 1]}
    monkeypatch.setattr(network, "hub_reachable", lambda: True)  # never contact the Hub from a test
    monkeypatch.setattr(datasets, "load_dataset", lambda name, config, split: datasets.Dataset.from_dict(rows))
    source = FileDataset(
        "hubby",
        {s: f"hub:someone/reviews@default:{s}" for s in ("train", "validation", "test")},
        text_column="sentence",
    )
    assert data_files.hub_source("hub:a/b@c:train") == ("a/b", "c", "train")
    texts, labels = source.texts_and_labels("test")
    assert texts == ["good", "bad", "fine"] and labels.tolist() == [1, 0, 1] and len(source.checksum("train")) == 64
    monkeypatch.setattr(network, "hub_reachable", lambda: False)
    offline = FileDataset(
        "hubby",
        {s: f"hub:someone/reviews@default:{s}" for s in ("train", "validation", "test")},
        text_column="sentence",
    )
    with pytest.raises(FileNotFoundError, match="cannot be reached; download the split"):
        offline.frame("train")
    with pytest.raises(ValueError, match="not a Hub source"):
        FileDataset("x", {s: "hub:nosplit" for s in ("train", "validation", "test")})


# --- the run cache: keyed on everything that decides the work ---------------------------------------------------


def sidecar(out, name="tiny-llama-frozen"):
    return json.loads((out / "layer_scores" / name / "mine_validation.json").read_text())


@pytest.mark.slow
def test_a_rerun_never_reuses_work_made_from_other_inputs(tiny_pipeline, tmp_path, capsys):
    files = two_column_files(tmp_path / "data")
    out = tmp_path / "out"
    base = run_arguments(files, out, "--epochs", "1", model="tiny-llama")
    assert cli.main(base) == 0
    first = sidecar(out)
    assert first["data"]["text_column"] == "text" and first["data"]["label_column"] == "label"
    assert first["data"]["sha256"]["train"] == first["dataset_sha256"] or first["data"]["sha256"]["validation"]
    assert (
        first["defaults_applied"]["values"]["learning_rate"] == 1e-3 and first["defaults_applied"]["mode"] == "frozen"
    )
    capsys.readouterr()
    assert cli.main(base) == 0  # the same inputs: current, nothing recomputed
    assert "nothing to do" in capsys.readouterr().out and sidecar(out) == first
    assert cli.main(base + ["--text-column", "other"]) == 2  # other inputs under the same name: refused
    assert re.search("made from other inputs.*--name to keep both, or --force", capsys.readouterr().err)
    assert sidecar(out) == first
    assert cli.main(base + ["--text-column", "other", "--name", "other-column"]) == 0
    kept_apart = sidecar(out, "other-column")
    assert kept_apart["run_key"] != first["run_key"] and kept_apart["data"]["text_column"] == "other"
    assert cli.main(base + ["--text-column", "other", "--force"]) == 0
    replaced = sidecar(out)
    assert replaced["run_key"] == kept_apart["run_key"] and replaced["data"]["text_column"] == "other"
    assert (out / ".lle-output.json").is_file()


def plan_for(files, name="mine", **changes):
    from lle import data
    from lle.runs.pipeline import Run, plan_run
    from lle.training.recipe import family_recipe

    source = data.FileDataset(name, files)
    recipe = family_recipe("tiny-llama", name, epochs=1, max_length=16, **changes)
    return lambda **placement: plan_run(Run("r", recipe), source=source, progress=False, **placement)


def test_run_keys_follow_content_columns_and_precision_never_names(tiny_pipeline, tmp_path):
    first = two_column_files(tmp_path / "a" / "data")
    second = two_column_files(tmp_path / "b" / "data")  # a project whose data folder has the same name
    second["train"].write_text(second["train"].read_text() + "so happy,so,happy\n")
    key = plan_for(first)().key
    assert key == plan_for(first)().key  # stable
    assert plan_for(second)().key != key  # same folder name, other content
    assert plan_for(first)(precision="bf16").key != key  # bf16 after fp32: a new entry, never a resumed one
    assert plan_for(first, seed=1)().key != key and plan_for(first, learning_rate=5e-4)().key != key


def test_frozen_heads_get_a_heads_rate_whatever_the_family():
    from lle.training.recipe import applied_defaults, family_recipe

    for model in ("sentence-transformers/all-MiniLM-L6-v2", "microsoft/deberta-v3-large", "my/llama"):
        recipe = family_recipe(model, "d", mode="frozen")
        assert (recipe.learning_rate, recipe.epochs, recipe.pooling) == (1e-3, 10, "mean")
    assert family_recipe("sentence-transformers/all-MiniLM-L6-v2", "d").learning_rate == 3e-5  # fine-tuning
    applied = applied_defaults("sentence-transformers/all-MiniLM-L6-v2", {"mode": "frozen", "epochs": 4})
    assert applied == {"family": "minilm", "mode": "frozen", "values": {"learning_rate": 1e-3, "pooling": "mean"}}
    assert family_recipe("x/llama", "d", mode="zeroshot").epochs == 0


def test_help_lists_the_defaults_applied(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    printed = capsys.readouterr().out
    assert "minilm   (default finetune) finetune: lr 3e-05" in printed and "frozen: lr 0.001, 10 epochs" in printed


def test_texts_cut_by_the_token_length_are_counted_per_split(files, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(run_arguments(files, out, "--epochs", "1", "--max-length", "4", model="tiny-llama")) == 0
    error = capsys.readouterr().err
    assert re.search(r"\d+ of 60 train texts are longer than --max-length 4 tokens and are cut", error)
    assert "validation texts are longer" in error and "pass a larger --max-length" in error


def test_legal_but_suspicious_inputs_warn(files, tmp_path, capsys):
    same = {**files, "validation": files["test"]}
    argv = run_arguments(
        same, tmp_path / "out", "--epochs", "1", "--max-train-samples", "500", "--max-length", "16", model="tiny-llama"
    )
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert "--validation and --test are the same file" in err
    assert "--max-train-samples 500 is not below the 60 training rows" in err


def test_models_that_cannot_be_had_fail_before_any_work(tmp_path, capsys, monkeypatch):
    """No tiny-model routing here: the real resolver, with the Hub unreachable."""
    from lle import network

    files = {
        "train": write_split(tmp_path / "train.csv", 60, 0),
        "validation": write_split(tmp_path / "dev.csv", 30, 1),
        "test": write_split(tmp_path / "test.csv", 30, 2),
    }

    monkeypatch.setattr(network, "hub_reachable", lambda: False)  # never contact the Hub from a test
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert cli.main(run_arguments(files, tmp_path / "out", model="someone/unknown-model")) == 2
    err = capsys.readouterr().err
    assert "someone/unknown-model has no local copy" in err and "pass a local directory" in err
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    assert cli.main(run_arguments(files, tmp_path / "out", model=str(folder))) == 2
    assert "has no config.json" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_file_paths_with_a_tilde_are_expanded(files, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(files["train"].parent))
    home = {split: f"~/{path.name}" for split, path in files.items()}
    argv = [
        "run",
        "--model",
        "tiny-llama",
        "--train",
        home["train"],
        "--validation",
        home["validation"],
        "--test",
        home["test"],
        "--out",
        str(tmp_path / "out"),
        "--dataset",
        "mine",
        "--epochs",
        "1",
        "--max-length",
        "16",
    ]
    assert cli.main(argv) == 0
    assert sidecar(tmp_path / "out")["data_files"]["train"] == str(files["train"])


def test_a_run_that_fails_midway_leaves_no_output_folder(files, tmp_path, monkeypatch):
    from lle.runs import own_runs

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(own_runs, "compute_run", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        cli.main(run_arguments(files, tmp_path / "out", "--epochs", "1", "--max-length", "16", model="tiny-llama"))
    assert not (tmp_path / "out").exists()


def test_a_cache_that_is_a_file_and_an_out_that_is_a_dangling_link_fail_clearly(files, tmp_path, capsys, monkeypatch):
    link = tmp_path / "gone"
    link.symlink_to(tmp_path / "nowhere")
    assert cli.main(run_arguments(files, link, "--epochs", "1", model="tiny-llama")) == 2
    assert "is a symbolic link to" in capsys.readouterr().err and not (tmp_path / "nowhere").exists()
    blocker = tmp_path / "cache-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LLE_CACHE_DIR", str(blocker))
    assert cli.main(run_arguments(files, tmp_path / "out", "--epochs", "1", model="tiny-llama")) == 2
    error = capsys.readouterr().err
    assert f"the cache folder {blocker} ($LLE_CACHE_DIR) is a file" in error and "Traceback" not in error
    assert blocker.read_text() == "not a folder"
