"""Do ``lle run``'s defaults give a sound classifier on real data? Runs the README's own-data command, defaults only
(plus a capped training sample; validation and test capped at 1,000 rows), for MiniLM and MPNet in frozen-head and finetune modes on SST-2, EDOS (task A),
goEmotions and tweet_hate from ../shared/data, and tabulates the final layer's macro-F1 against the majority class.

    .venv/bin/python scripts/measure_defaults.py [--max-train-samples 2000]

Resumable: a run whose scores are current is skipped by ``lle run`` itself. Split files derived from the sources
(SST-2: a seeded validation split held out of train, dev as test; EDOS: its split column) go to the cache.
Writes results/tables/own_data_defaults.csv.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from lle import data
from lle.claims.soundness import classifier_check, majority_macro_f1
from lle.method.metrics import classification_metrics
from lle.paths import cache_dir, results_dir
from lle.store.formats import write_csv
from lle.store.scores import load_pairs

MODELS = {"MiniLM": "sentence-transformers/all-MiniLM-L6-v2", "MPNet": "sentence-transformers/all-mpnet-base-v2"}
# (model, mode, training sample, datasets), cheapest first. Fine-tuning MPNet on 2 CPU cores is the costly one: it
# trains on a smaller sample, on the easiest and the hardest of the four datasets (SST-2, 2 classes; goEmotions, 28).
ALL = ("sst2", "edos", "goemotions-csv", "tweet_hate-csv")
# MPNet fine-tuned on 1,000 goEmotions texts (28 classes, about 190 optimizer steps) stays at chance; the same defaults on
# 2,000 texts show whether the training sample, not the recipe, is what it lacks.
RUNS = (
    ("MiniLM", "frozen-head", 2000, ALL),
    ("MPNet", "frozen-head", 2000, ALL),
    ("MiniLM", "finetune", 2000, ALL),
    ("MPNet", "finetune", 1000, ("sst2", "goemotions-csv")),
    ("MPNet", "finetune", 2000, ("goemotions-csv",)),
)
# (model, mode) -> the cap of its first entry, whose output folders carry no cap in their name
FIRST_CAP = {(short, mode): cap for short, mode, cap, _ in reversed(RUNS)}


EVAL_ROWS = 1000  # validation and test are capped at this many rows (seeded), so the table fits the CPU budget


def capped(frame: pd.DataFrame, rows: int = EVAL_ROWS) -> pd.DataFrame:
    """At most ``rows`` rows, a seeded random subset in file order."""
    if len(frame) <= rows:
        return frame
    return frame.iloc[np.sort(np.random.default_rng(0).choice(len(frame), rows, replace=False))]


def read(path: Path, sep: str = ",") -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, quoting=3 if sep == "\t" else 0)


def split_files(root: Path) -> dict:
    """dataset -> (split -> file, text column, label column), derived once into ``root``: SST-2's validation split
    held out of train (seeded, as large as its dev set, which serves as test), EDOS by its split column, goEmotions
    and tweet_hate from the paper's splits; validation and test capped at ``EVAL_ROWS``."""
    shared = data.data_dir_candidates()[0]
    frames = {}
    train = read(shared / "sst2" / "train_full.tsv", "\t")
    held = np.zeros(len(train), bool)
    held[np.random.default_rng(0).choice(len(train), 872, replace=False)] = True
    frames["sst2"] = (
        {"train": train[~held], "validation": train[held], "test": read(shared / "sst2" / "dev.tsv", "\t")},
        "sentence",
        "label",
    )
    edos = read(shared / "edos" / "edos_labelled_aggregated.csv")[["text", "label_sexist", "split"]]
    frames["edos"] = (
        {
            split: edos[edos.split == name].drop(columns="split")
            for split, name in (("train", "train"), ("validation", "dev"), ("test", "test"))
        },
        "text",
        "label_sexist",
    )
    for name, stem in (("goemotions", "goEmotions"), ("tweet_hate", "tweet_hate")):
        frames[name] = (
            {
                split: read(shared / "lle-paper" / f"{stem}_{suffix}.csv")
                for split, suffix in zip(data.SPLITS, ("train", "val", "test"))
            },
            "text",
            "label",
        )
    sets = {}
    for name, (splits, text, label) in frames.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        files = {split: folder / f"{split}.csv" for split in data.SPLITS}
        for split, frame in splits.items():
            if not files[split].is_file():
                (frame if split == "train" else capped(frame)).to_csv(files[split], index=False)
        sets[name if name in ("sst2", "edos") else f"{name}-csv"] = (files, text, label)  # not the paper's names
    return sets


def defaults_row(pair) -> dict:
    """The recipe a run got and its final layer against chance (validation) and the majority class (test)."""
    check = classifier_check(pair)
    recipe = pair.test.provenance["recipe"]
    test_f1 = classification_metrics(pair.test.log_probs[:, -1].argmax(-1), pair.test.labels, pair.n_classes)
    return {
        "n_classes": pair.n_classes,
        "learning_rate": f"{recipe['learning_rate']:g}",
        "epochs": recipe["epochs"],
        "pooling": recipe["pooling"],
        "validation_f1": check["final_layer_validation_f1"],
        "validation_chance_f1": check["chance_validation_f1"],
        "test_f1": float(test_f1["macro_f1"]),
        "test_majority_f1": majority_macro_f1(pair.test.labels, pair.n_classes),
        "classifier": check["classifier"],
        "seconds": pair.test.provenance["wall_time_seconds"]["total"],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-train-samples", type=int, default=2000, help="at most this many training texts")
    parser.add_argument("--out", type=Path, default=cache_dir() / "own-data-defaults")
    args = parser.parse_args(argv)
    rows = []
    datasets = split_files(cache_dir() / "own-data")
    for short, mode, cap, names in RUNS:
        samples = min(cap, args.max_train_samples)
        for dataset in names:
            files, text, label = datasets[dataset]
            suffix = "" if cap == FIRST_CAP[short, mode] else f"-{samples}"
            out = args.out / f"{short}-{mode}-{dataset}{suffix}"
            command = [
                sys.executable,
                "-m",
                "lle",
                "run",
                "--model",
                MODELS[short],
                "--mode",
                mode,
                "--train",
                str(files["train"]),
                "--validation",
                str(files["validation"]),
                "--test",
                str(files["test"]),
                "--text-column",
                text,
                "--label-column",
                label,
                "--dataset",
                dataset,
                "--max-train-samples",
                str(samples),
                "--out",
                str(out),
            ]
            print(" ".join(command[1:]), flush=True)
            subprocess.run(command, check=True)
            rows.append(
                {
                    "model": short,
                    "mode": mode,
                    "dataset": dataset,
                    "train_samples": samples,
                    **defaults_row(load_pairs(results_root=out)[0]),
                }
            )
            write_csv(pd.DataFrame(rows), results_dir() / "tables" / "own_data_defaults.csv", float_format="%.4f")
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
