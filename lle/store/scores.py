"""The per-layer score cache: one ``.npz`` per (model, dataset, split) with a JSON provenance sidecar.

``results/layer_scores/<model-slug>/<dataset>_<split>.npz`` holds ``log_probs`` (float32, (n_samples, n_layers,
n_classes), layer index = hidden-state index, last = final) and ``labels`` (int64). The sidecar ``.json`` records
how they were made. Loading checks the file's checksum against the sidecar and the sidecar against what the
caller expects: a mismatch or a corrupt file is an error, never a silent reuse.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lle.integrity import CacheMismatchError, atomic_path, atomic_write_text, sha256_file
from lle.paths import REPO_ROOT, ensure_repository, relative_to_repo
from lle.store.run_folders import check_complete


def score_path(model_slug: str, dataset: str, split: str, results_root=None) -> Path:
    """Where the scores of (run, dataset, split) live under ``results_root`` (default: the repository's results/)."""
    base = (
        ensure_repository() / "results" if results_root is None else Path(results_root)
    )  # never created here: writers create it
    return base / "layer_scores" / model_slug / f"{dataset}_{split}.npz"


def cached_runs(results_root=None) -> list[tuple[str, str, str]]:
    """(run slug, dataset, split) of every cached score file, sorted."""
    base = score_path("", "", "", results_root).parent
    found = []
    for path in sorted(base.glob("*/*.npz")):
        if path.name.startswith(".") or path.parent.name.startswith("."):
            continue  # a temporary file of an atomic write, or a staging folder: never a result
        dataset, split = path.stem.rsplit("_", 1)
        found.append((path.parent.name, dataset, split))
    return found


def recorded_runs(results_root=None) -> list[tuple[str, str, str]]:
    """(run slug, dataset, split) of every score file's sidecar, sorted: also the runs whose score files are
    recorded but not kept (a training seed whose large scores are not committed, :mod:`lle.runs.seeds`)."""
    base = score_path("", "", "", results_root).parent
    found = []
    for path in sorted(base.glob("*/*.json")):
        if path.name.startswith(".") or path.parent.name.startswith("."):
            continue
        dataset, _, split = path.stem.rpartition("_")
        if dataset and split in EVAL_SPLITS:  # not a completion record
            found.append((path.parent.name, dataset, split))
    return found


CODE_PATHS = ("lle", "scripts", "pyproject.toml", "requirements.txt")  # what computed scores depend on


def git_commit() -> str | None:
    """HEAD, marked ``-dirty`` when the code (not notebooks or results) has uncommitted changes."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def save_layer_scores(path: Path, log_probs: np.ndarray, labels: np.ndarray, provenance: dict) -> Path:
    """Write the arrays and their sidecar; the sidecar records the array file's SHA-256 and shapes."""
    log_probs = np.asarray(log_probs, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    if log_probs.ndim != 3 or log_probs.shape[0] != labels.shape[0]:
        raise ValueError(
            f"log_probs {log_probs.shape} must be (n_samples, n_layers, n_classes) matching labels {labels.shape}"
        )
    if not np.all(np.isfinite(log_probs)):
        raise ValueError("refusing to cache non-finite log-probabilities")
    with atomic_path(path) as temporary:
        np.savez_compressed(temporary, log_probs=log_probs, labels=labels)
    import lle

    sidecar = dict(
        provenance,
        n_samples=int(log_probs.shape[0]),
        n_layers=int(log_probs.shape[1]),
        n_classes=int(log_probs.shape[2]),
        file_sha256=sha256_file(path),
        package_version=lle.__version__,
    )
    sidecar.setdefault("git_commit", git_commit())
    atomic_write_text(path.with_suffix(".json"), json.dumps(sidecar, indent=1, sort_keys=True) + "\n")
    return path


def restore_advice(path: Path) -> str:
    """How to get a score file back: for the repository's committed scores, git; for a user's own run, lle run."""
    path = Path(path)
    inside = Path(relative_to_repo(path)) != path.resolve()
    if inside and relative_to_repo(path).startswith("results/"):
        return (
            f"restore the committed copy with git checkout -- {relative_to_repo(path)} "
            f"{relative_to_repo(path.with_suffix('.json'))}, or recompute it with scripts/compute_layer_scores.py "
            "(hours)"
        )
    out = path.parents[2] if len(path.parents) > 2 else path.parent
    return (
        f"rerun the lle run command that made it (the same --out {out}): it recomputes a run whose files are "
        "missing, incomplete or changed, reusing the cached work"
    )


@dataclass(frozen=True)
class LayerScores:
    log_probs: np.ndarray
    labels: np.ndarray
    provenance: dict


def load_layer_scores(path: Path, **expected) -> LayerScores:
    """Load and check: file checksum against the sidecar, and each ``expected`` key against the sidecar."""
    path = Path(path)
    sidecar_path = path.with_suffix(".json")
    restore = restore_advice(path)
    if not path.is_file() or not sidecar_path.is_file():
        raise FileNotFoundError(f"{path} or its sidecar {sidecar_path.name} is missing; {restore}")
    try:
        provenance = json.loads(sidecar_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CacheMismatchError(f"the sidecar {sidecar_path} is not valid JSON ({error}); {restore}") from None
    if sha256_file(path) != provenance.get("file_sha256"):
        raise CacheMismatchError(
            f"{path} does not match the checksum in its sidecar: the file is corrupt or was "
            f"changed after it was written; {restore}"
        )
    for key, value in expected.items():
        if provenance.get(key) != value:
            raise CacheMismatchError(
                f"{path} was made with {key}={provenance.get(key)!r}, expected {value!r}; "
                "recompute it or ask for what it holds"
            )
    with np.load(path) as arrays:
        log_probs, labels = arrays["log_probs"], arrays["labels"]
    if log_probs.shape != (provenance["n_samples"], provenance["n_layers"], provenance["n_classes"]):
        raise CacheMismatchError(f"{path} holds shape {log_probs.shape}, its sidecar says otherwise")
    return LayerScores(log_probs, labels, provenance)


@dataclass(frozen=True)
class RecordedScores:
    """A score file known by its sidecar alone (a training seed whose scores are not committed,
    :mod:`lle.runs.seeds`): grids stored from it can be read (they are keyed by its checksum), its arrays cannot."""

    provenance: dict
    path: Path

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.provenance["n_samples"], self.provenance["n_layers"], self.provenance["n_classes"])

    @property
    def log_probs(self):
        raise FileNotFoundError(
            f"{self.path} is recorded (its sidecar is here) but not kept, so this analysis cannot read its "
            "per-layer scores; recompute them with scripts/compute_seeds.py, or use what is stored from them "
            "(grids, predictions)"
        )

    labels = log_probs


@dataclass(frozen=True)
class Pair:
    """The validation and test scores of one (run, dataset)."""

    run: str
    dataset: str
    validation: LayerScores | RecordedScores
    test: LayerScores | RecordedScores

    @property
    def n_classes(self) -> int:
        return int(_shape(self.test)[2])

    @property
    def n_layers(self) -> int:
        return int(_shape(self.test)[1])


def _shape(scores) -> tuple:
    return scores.shape if isinstance(scores, RecordedScores) else scores.log_probs.shape


def recorded_pairs(results_root) -> list[Pair]:
    """Every (run, dataset) with both splits' sidecars under ``results_root``, known by the sidecars alone
    (:class:`RecordedScores`): enough for analyses that read stored grids."""
    found = sorted({(run, dataset) for run, dataset, _ in recorded_runs(results_root)})
    pairs = []
    for run, dataset in found:
        paths = {split: score_path(run, dataset, split, results_root) for split in EVAL_SPLITS}
        if all(path.with_suffix(".json").is_file() for path in paths.values()):
            scores = {s: RecordedScores(json.loads(p.with_suffix(".json").read_text()), p) for s, p in paths.items()}
            pairs.append(Pair(run, dataset, scores["validation"], scores["test"]))
    return pairs


EVAL_SPLITS = ("validation", "test")


def closest_name(name: str, known) -> str | None:
    """The known name closest to ``name`` (a typo's correction), or None when none is close."""
    import difflib

    matches = difflib.get_close_matches(str(name), sorted(known), n=1)
    return matches[0] if matches else None


def _nearest(asked: list, known: list) -> str:
    """'; did you mean ...?' with the closest known name of each asked one ('' when none is close)."""
    guesses = [f"{match} for {name}" for name in asked if (match := closest_name(name, known))]
    return f"; did you mean {', '.join(guesses)}?" if guesses else ""


def load_pairs(*, runs=None, datasets=None, results_root=None) -> list[Pair]:
    """Every requested (run, dataset) with both splits, checked; a requested pair that is missing is an error.

    ``runs=None`` means every run directory in the cache; ``datasets=None`` means every dataset a run has files
    for. Each such pair must have both its validation and test files: a lone split never shortens a table
    silently.
    """
    for name, value in (("runs", runs), ("datasets", datasets)):
        if isinstance(value, (str, bytes)) or (value is not None and not hasattr(value, "__iter__")):
            raise TypeError(
                f"{name} must be a list of names (or None for all), got {value!r}; write {name}=[{value!r}]"
            )
    found = {(run, dataset) for run, dataset, _ in cached_runs(results_root)}
    available_runs = sorted({run for run, _ in found})
    chosen_runs = available_runs if runs is None else list(runs)
    unknown = sorted(set(chosen_runs) - set(available_runs))
    if unknown:
        how = (
            (
                "a paper run not cached yet is computed with scripts/compute_layer_scores.py (or make reproduce "
                "RECOMPUTE=1)"
            )
            if results_root is None
            else f"compute them with lle run ... --out {results_root}, or pass the --out folder that holds them"
        )
        raise FileNotFoundError(
            f"no cached scores for runs {unknown} under {score_path('', '', '', results_root).parent}"
            f"{_nearest(unknown, available_runs)}; cached runs: {available_runs}; {how}"
        )
    available_datasets = sorted({dataset for run, dataset in found if run in chosen_runs})
    missing = sorted(set(datasets or ()) - {dataset for _, dataset in found})
    if missing:
        raise FileNotFoundError(
            f"no cached scores for datasets {missing}{_nearest(missing, available_datasets)}; the "
            f"runs {chosen_runs} have {available_datasets}; pass some of those (or None for all)"
        )
    pairs = []
    for run in chosen_runs:
        run_datasets = sorted({d for r, d in found if r == run}) if datasets is None else list(datasets)
        for dataset in run_datasets:
            paths = {split: score_path(run, dataset, split, results_root) for split in EVAL_SPLITS}
            missing = [str(path) for path in paths.values() if not path.is_file()]
            if len(missing) == len(paths):
                has = sorted({d for r, d in found if r == run})
                raise FileNotFoundError(
                    f"run {run} has no scores for {dataset} (it has {has}); leave the pair out of "
                    "runs/datasets, or compute it"
                )
            if missing:
                raise FileNotFoundError(
                    f"({run}, {dataset}) is requested but {missing} is missing: "
                    f"{restore_advice(Path(missing[0]))}; or leave the pair out of runs/datasets"
                )
            loaded = {s: load_layer_scores(paths[s], run=run, dataset=dataset, split=s) for s in EVAL_SPLITS}
            check_complete(paths["test"].parents[2], run, dataset, {s: loaded[s].provenance for s in EVAL_SPLITS})
            pairs.append(Pair(run, dataset, *(loaded[s] for s in EVAL_SPLITS)))
    if not pairs:
        raise FileNotFoundError(f"no cached (run, dataset) pairs for runs={runs}, datasets={datasets}")
    return pairs
