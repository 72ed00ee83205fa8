"""lle run and lle evaluate on a dataset the package has never seen (random words in CSV/TSV/JSONL files), with
tiny random models: all three modes, the comparison table, and clear errors for bad files."""
import json
import re

import numpy as np
import pytest

import tiny_models
from lle import cli

LABELS = ("calm", "angry", "happy")


def write_split(path, n, seed, *, labels=LABELS, column="text"):
    rng = np.random.default_rng(seed)
    rows = [{column: " ".join(rng.choice(tiny_models.WORDS, rng.integers(3, 9))), "label": str(rng.choice(labels))}
            for _ in range(n)]
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        sep = "\t" if path.suffix == ".tsv" else ","
        path.write_text(f"{column}{sep}label\n" + "".join(f"{r[column]}{sep}{r['label']}\n" for r in rows))
    return path


@pytest.fixture
def files(tiny_pipeline):
    """Tiny random models (tests/conftest.py) and a CSV / TSV / JSON Lines dataset of random words."""
    return {"train": write_split(tiny_pipeline / "train.csv", 60, 0),
            "validation": write_split(tiny_pipeline / "dev.tsv", 30, 1),
            "test": write_split(tiny_pipeline / "test.jsonl", 30, 2)}


def arguments(files, out, *extra):
    return ["run", "--model", extra[0], "--train", str(files["train"]), "--validation", str(files["validation"]),
            "--test", str(files["test"]), "--out", str(out), "--dataset", "mine", *extra[1:]]


@pytest.mark.slow
@pytest.mark.parametrize("model, extra", [
    ("tiny-bert", ["--mode", "finetune", "--epochs", "1", "--learning-rate", "0.001"]),
    ("tiny-llama", ["--epochs", "1"]),  # the family default for decoders: a head on frozen states
    ("tiny-llama", ["--mode", "zeroshot", "--max-length", "16"]),
    ("tiny-bert", ["--epochs", "1", "--device", "cpu", "--precision", "bf16", "--max-length", "16"]),
])
def test_run_then_evaluate_on_a_new_dataset(files, tmp_path, capsys, model, extra):
    out = tmp_path / "out"
    assert cli.main(arguments(files, out, model, *extra)) == 0
    printed = capsys.readouterr().out
    assert "lle evaluate" in printed and ("max_length auto" in printed) == ("--max-length" not in extra)
    scores = sorted((out / "layer_scores").glob("*/*.npz"))
    assert [p.name for p in scores] == ["mine_test.npz", "mine_validation.npz"]
    assert cli.main(["evaluate", str(out), "--n-resamples", "20"]) == 0
    printed = capsys.readouterr().out
    assert "standard" in printed and "dynamic" in printed and "early-exit test macro-F1" in printed
    assert (out / "results" / "tables" / "comparison.csv").is_file()


@pytest.mark.parametrize("change, message", [
    (lambda f, t: {**f, "train": write_split(t / "bad.csv", 10, 3, column="sentence")}, "no column .'text'.*--text-column"),
    (lambda f, t: {**f, "validation": write_split(t / "odd.csv", 10, 4, labels=("bored",))}, "labels .'bored'."),
    (lambda f, t: {**f, "test": (t / "empty.csv").write_text("text,label\n") and t / "empty.csv"}, "no rows"),
    (lambda f, t: {**f, "test": t / "missing.csv"}, "does not exist"),
    (lambda f, t: {**f, "train": (t / "x.xlsx").write_text("") and t / "x.xlsx"}, "unknown format"),
])
def test_bad_files_fail_clearly(files, tmp_path, capsys, change, message):
    bad = change(files, tmp_path)
    assert cli.main(arguments(bad, tmp_path / "out", "tiny-bert", "--epochs", "1")) == 2
    assert re.search(message, capsys.readouterr().err)


def test_bad_max_length_and_missing_directory(files, tmp_path, capsys):
    with pytest.raises(SystemExit, match="--max-length must be a positive integer"):
        cli.main(arguments(files, tmp_path / "out", "tiny-bert", "--max-length", "long"))
    assert cli.main(["evaluate", str(tmp_path / "nowhere")]) == 2
    assert "no cached" in capsys.readouterr().err


def test_family_defaults_and_overrides():
    from lle.models.recipe import family_recipe

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
    source = FileDataset("hubby", {s: f"hub:someone/reviews@default:{s}" for s in ("train", "validation", "test")},
                         text_column="sentence")
    assert data_files.hub_source("hub:a/b@c:train") == ("a/b", "c", "train")
    texts, labels = source.texts_and_labels("test")
    assert texts == ["good", "bad", "fine"] and labels.tolist() == [1, 0, 1] and len(source.checksum("train")) == 64
    monkeypatch.setattr(network, "hub_reachable", lambda: False)
    with pytest.raises(FileNotFoundError, match="cannot be reached; download the split"):
        source.frame("train")
    with pytest.raises(ValueError, match="not a Hub source"):
        FileDataset("x", {s: "hub:nosplit" for s in ("train", "validation", "test")})
