"""Datasets of random words and lle run command lines shared by the tests of the command line, training, faults,
verification and the GPU path."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import tiny_models

from lle import data

LABELS = ("calm", "angry", "happy")


def write_split(path, n, seed, *, labels=LABELS, column="text"):
    rng = np.random.default_rng(seed)
    rows = [
        {column: " ".join(rng.choice(tiny_models.WORDS, rng.integers(3, 9))), "label": str(rng.choice(labels))}
        for _ in range(n)
    ]
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        sep = "\t" if path.suffix == ".tsv" else ","
        path.write_text(f"{column}{sep}label\n" + "".join(f"{r[column]}{sep}{r['label']}\n" for r in rows))
    return path


def run_arguments(files, out, *extra, model="tiny-bert", dataset="mine"):
    """``lle run``'s command line on the split files ``files`` into ``out``: the model, the three splits, the
    folder and the dataset's name (``dataset=None`` leaves ``--dataset`` out, so the name comes from the files),
    then ``extra``."""
    splits = [argument for split in ("train", "validation", "test") for argument in (f"--{split}", str(files[split]))]
    named = [] if dataset is None else ["--dataset", dataset]
    return ["run", "--model", model, *splits, "--out", str(out), *named, *extra]


def two_column_files(folder):
    """Splits with two text columns (``text`` and ``other``) of different words."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    files = {}
    for split, n in (("train", 40), ("validation", 20), ("test", 20)):
        rows = [
            (" ".join(rng.choice(tiny_models.WORDS, 5)), " ".join(rng.choice(tiny_models.WORDS, 3)), LABELS[i % 3])
            for i in range(n)
        ]
        files[split] = folder / f"{split}.csv"
        files[split].write_text("text,other,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    return files


def save_dropout_free_bert(directory):
    """A tiny BERT without dropout on disk: two processes then see the same function as one."""
    model = tiny_models.build("bert")
    model.config.hidden_dropout_prob = model.config.attention_probs_dropout_prob = 0.0
    type(model)(model.config).save_pretrained(directory)  # fresh weights are fine; the config must carry no dropout
    tiny_models.tiny_tokenizer().save_pretrained(directory)
    return directory


def lle_run(command, files, out, model_dir, *extra):
    arguments = [
        "run",
        "--model",
        str(model_dir),
        "--train",
        str(files[0]),
        "--validation",
        str(files[1]),
        "--test",
        str(files[2]),
        "--out",
        str(out),
        "--dataset",
        "mine",
        "--mode",
        "finetune",
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--learning-rate",
        "0.001",
        "--max-length",
        "16",
        *extra,
    ]
    environment = {**os.environ, "LLE_CACHE_DIR": str(out / "cache"), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([*command, *arguments], env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    scores = {split: next((out / "layer_scores").glob(f"*/mine_{split}.npz")) for split in ("validation", "test")}
    processes = json.loads(scores["test"].with_suffix(".json").read_text()).get("data_parallel_processes", 1)
    return processes, {split: np.load(path) for split, path in scores.items()}


def small_files(folder: Path) -> dict:
    """Train, validation and test CSV files of random words, three labels."""
    rng = np.random.default_rng(0)
    files = {}
    for split, n in (("train", 40), ("validation", 20), ("test", 20)):
        files[split] = folder / f"{split}.csv"
        files[split].write_text(
            "text,label\n"
            + "".join(f"{' '.join(rng.choice(tiny_models.WORDS, 5))},{LABELS[i % 3]}\n" for i in range(n))
        )
    return files


# A user's own dataset, split by split: ``files`` maps split -> content (str or bytes) or (suffix, content);
# splits not given get GOOD[split].
ROWS = "".join(f"i am so {w} text,{w}\n" for w in ("happy", "sad", "angry") * 4)
GOOD = {split: "text,label\n" + ROWS for split in ("train", "validation", "test")}
TSV_ROWS = ROWS.replace(",", "\t")


def own_dataset(tmp_path, files: dict, **columns):
    paths = {}
    for split in ("train", "validation", "test"):
        suffix, content = (
            files[split] if isinstance(files.get(split), tuple) else (".csv", files.get(split, GOOD[split]))
        )
        path = tmp_path / f"{split}{suffix}"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        paths[split] = path
    return data.FileDataset("mine", paths, **columns)


# A tiny training set and classifier for the training, surgery and ledger tests.
TEXTS = [" ".join(tiny_models.WORDS[(i * 7 + j) % len(tiny_models.WORDS)] for j in range(1 + i % 6)) for i in range(40)]
TRAINING_LABELS = np.array([i % 3 for i in range(40)])


def tiny_classifier(seed=0):
    """An early-exit classifier over a tiny random BERT, seeded."""
    from lle.models.readout import EarlyExitClassifier
    from lle.training.loops import set_seed

    set_seed(seed)
    return EarlyExitClassifier(tiny_models.build("bert", seed=seed), 3)


def recipe(**changes):
    """A two-epoch fine-tuning recipe for the tiny BERT, with ``changes``."""
    from lle.training.recipe import Recipe

    base = dict(
        model_id="tiny-bert", dataset="tweet_hate", epochs=2, batch_size=8, learning_rate=1e-3, checkpoint_every=2
    )
    return Recipe(**{**base, **changes})
