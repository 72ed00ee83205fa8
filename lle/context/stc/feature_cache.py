"""The feature cache of the Sparsify-then-Classify comparison: per-layer pooled features of frozen backbones.

One ``.npz`` per (backbone, dataset, split) under ``<cache>/stc_features/<backbone>/``, a key per
``<representation>_<pooling>`` (float16 when every value fits, else float32) plus ``labels``; a JSON sidecar holds
the file's SHA-256 and the fingerprint it was made from (model, data checksums, text preparation, subsample, code
version). A file is reused only when both match; otherwise it is recomputed, so an interrupted stage resumes at
the first split that is missing.

Texts are prepared as in the LLE runs on the same backbone (the authors' preprocessing, the dataset's max_length).
To keep the whole stage within a few CPU hours, the probes' training split is a seeded random subsample
(``max_train_samples``); validation and test are complete, so test numbers compare with Table 1's.
SST-2 (STC's own setting): validation is a seeded held-out part of SST-2's training file, test is GLUE dev.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from lle import data
from lle.context.cache import StageRecord
from lle.integrity import CacheMismatchError, atomic_path, atomic_write_text, sha256_file
from lle.models.backbones import backbone
from lle.models.features import layer_features
from lle.models.resolve import load_backbone, resolve_model, tokenizer_with_padding
from lle.paths import cache_dir
from lle.progress import tqdm
from lle.runs.pipeline import load_texts
from lle.store.scores import git_commit
from lle.training.recipe import Recipe

SPLITS = ("train", "validation", "test")
REFRESH = "lle.context.stc.feature_cache.compute_features (or make reproduce RECOMPUTE=1)"
SST2 = {"train": "sst2/train_full.tsv", "test": "sst2/dev.tsv", "max_length": 128}
FEATURE_FORMAT = 1  # bump when the extraction changes meaning


@dataclass(frozen=True)
class FeatureSource:
    """Which features: a frozen backbone on a dataset (a paper dataset or ``"sst2"``), and the subsample."""

    backbone: str
    dataset: str
    max_train_samples: int = 2000
    max_validation_samples: int | None = None  # SST-2 only: the held-out part of its training file
    seed: int = 0
    batch_size: int = 32

    def __post_init__(self):
        backbone(self.backbone)  # an unknown backbone fails here, naming the known ones
        if self.dataset != "sst2" and self.dataset not in data.DATASETS:
            raise ValueError(f"dataset {self.dataset!r} must be one of {sorted(data.DATASETS) + ['sst2']}")

    @property
    def model_id(self) -> str:
        return backbone(self.backbone).hub_id

    @property
    def max_length(self) -> int:
        return SST2["max_length"] if self.dataset == "sst2" else data.DATASETS[self.dataset].max_length

    def texts(self, split: str, *, data_dir=None) -> tuple[list[str], np.ndarray]:
        if self.dataset == "sst2":
            return sst2_split(
                split,
                n_train=self.max_train_samples,
                n_validation=self.max_validation_samples or 1000,
                seed=self.seed,
                data_dir=data_dir,
            )
        recipe = Recipe(self.model_id, self.dataset, seed=self.seed, max_train_samples=self.max_train_samples)
        return load_texts(recipe, split, data_dir=data_dir, progress=False)

    def labels(self, split: str, *, data_dir=None) -> np.ndarray:
        """The split's labels in the order its features are stored (the texts are not prepared)."""
        if self.dataset == "sst2":
            return self.texts(split, data_dir=data_dir)[1]
        recipe = Recipe(
            self.model_id, self.dataset, seed=self.seed, max_train_samples=self.max_train_samples, preprocessing=False
        )
        return load_texts(recipe, split, data_dir=data_dir, progress=False)[1]

    def fingerprint(self, split: str, *, data_dir=None) -> dict:
        checksums = (
            {relative: data.CHECKSUMS[relative] for relative in (SST2["train"], SST2["test"])}
            if self.dataset == "sst2"
            else {s: data.CHECKSUMS[data.DATASETS[self.dataset].release_file(s)] for s in SPLITS}
        )
        return {
            "source": asdict(self),
            "split": split,
            "max_length": self.max_length,
            "preprocessing": "none" if self.dataset == "sst2" else "the authors' (as in the LLE runs)",
            "data_sha256": checksums,
            **resolve_model(self.model_id).provenance(),
            "feature_format": FEATURE_FORMAT,
        }

    def path(self, split: str, cache_root=None) -> Path:
        return cache_dir(cache_root) / "stc_features" / self.backbone / f"{self.dataset}_{split}.npz"


def sst2_split(split: str, *, n_train: int, n_validation: int, seed: int, data_dir=None):
    """SST-2 as STC uses it: a seeded subsample of the training file to train on, a disjoint held-out part of it to
    validate on, and GLUE dev (its labelled public evaluation set) as the test split."""
    if split == "test":
        frame = _read_sst2(SST2["test"], data_dir)
        return frame["sentence"].tolist(), frame["label"].to_numpy(np.int64)
    frame = _read_sst2(SST2["train"], data_dir)
    if n_train + n_validation > len(frame):
        raise ValueError(
            f"max_train_samples + max_validation_samples = {n_train + n_validation} exceeds SST-2's "
            f"{len(frame)} training rows"
        )
    order = np.random.default_rng(seed).permutation(len(frame))
    rows = order[:n_validation] if split == "validation" else order[n_validation : n_validation + n_train]
    rows = np.sort(rows)
    return frame["sentence"].iloc[rows].tolist(), frame["label"].to_numpy(np.int64)[rows]


def _read_sst2(relative: str, data_dir) -> pd.DataFrame:
    path = data.find_file(relative, data_dir)
    return pd.read_csv(path, sep="\t", dtype={"sentence": str, "label": np.int64}, keep_default_na=False, quoting=3)


def load_features(
    source: FeatureSource, split: str, *, cache_root=None, data_dir=None
) -> tuple[dict, np.ndarray, dict]:
    """({(representation, pooling): float32 (n, layers, width)}, labels, sidecar) of a cached split; a missing file
    or one made from something else is an error naming the fix."""
    path = source.path(split, cache_root)
    fix = f"compute it with {REFRESH}"
    if not path.is_file():
        raise FileNotFoundError(f"no cached features at {path}; {fix}")
    sidecar = _sidecar(source, split, cache_root, data_dir).require()
    if sidecar.get("file_sha256") != _file_sha256(path):
        raise CacheMismatchError(f"{path} does not match its sidecar's checksum; delete it and {fix}")
    with np.load(path) as arrays:
        features = {tuple(key.split("_", 1)): arrays[key].astype(np.float32) for key in arrays.files if key != "labels"}
        return features, arrays["labels"], sidecar


_HASHED: dict = {}


def _file_sha256(path: Path) -> str:
    """A feature file's SHA-256, remembered per (path, size, modification time) within a process: a resumed stage
    reads files of up to a gigabyte, and checks each once rather than in is_cached and again in load_features."""
    stat = Path(path).stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHED:
        _HASHED[key] = sha256_file(path)
    return _HASHED[key]


def _sidecar(source: FeatureSource, split: str, cache_root, data_dir) -> StageRecord:
    """The sidecar of a feature file: current when made from the same inputs (its fingerprint)."""
    return StageRecord(
        source.path(split, cache_root).with_suffix(".json"),
        {"fingerprint": source.fingerprint(split, data_dir=data_dir)},
        section=None,
        refresh=REFRESH,
    )


def is_cached(source: FeatureSource, split: str, *, cache_root=None, data_dir=None) -> bool:
    """True when ``split``'s features of ``source`` are cached with a matching fingerprint and checksum."""
    sidecar = _sidecar(source, split, cache_root, data_dir).current()
    return (
        sidecar is not None
        and source.path(split, cache_root).is_file()
        and _file_sha256(source.path(split, cache_root)) == sidecar.get("file_sha256")
    )


def compute_features(
    source: FeatureSource,
    *,
    cache_root=None,
    data_dir=None,
    progress: bool = True,
    device=None,
    precision: str = "fp32",
) -> dict:
    """Extract and cache every split that is not cached yet; returns {split: seconds spent} (0 when reused)."""
    seconds, model, tokenizer = {}, None, None
    for split in SPLITS:
        if is_cached(source, split, cache_root=cache_root, data_dir=data_dir):
            seconds[split] = 0.0
            continue
        if model is None:
            torch.manual_seed(source.seed)
            model, tokenizer = load_backbone(source.model_id), tokenizer_with_padding(source.model_id)
        texts, labels = source.texts(split, data_dir=data_dir)
        start = time.perf_counter()
        features = layer_features(
            model,
            tokenizer,
            texts,
            max_length=source.max_length,
            batch_size=source.batch_size,
            progress=progress,
            device=device,
            precision=precision,
            desc=f"{source.backbone} {source.dataset} {split}",
        )
        seconds[split] = time.perf_counter() - start
        save_features(
            source.path(split, cache_root),
            features,
            labels,
            {
                "fingerprint": source.fingerprint(split, data_dir=data_dir),
                "seconds": round(seconds[split], 1),
                "git_commit": git_commit(),
                "threads": torch.get_num_threads(),
            },
        )
    return seconds


def save_features(path: Path, features: dict, labels: np.ndarray, sidecar: dict) -> None:
    """Write features (float16 unless a value would overflow it) and their sidecar, atomically."""
    arrays = {f"{rep}_{pooling}": _compact(values) for (rep, pooling), values in features.items()}
    with atomic_path(path) as temporary:
        np.savez(temporary, labels=np.asarray(labels, dtype=np.int64), **arrays)
    shapes = {key: list(values.shape) for key, values in arrays.items()}
    dtypes = {key: str(values.dtype) for key, values in arrays.items()}
    atomic_write_text(
        path.with_suffix(".json"),
        json.dumps(
            {**sidecar, "shapes": shapes, "dtypes": dtypes, "file_sha256": sha256_file(path)}, indent=1, sort_keys=True
        ),
    )


def _compact(values: np.ndarray) -> np.ndarray:
    """float16 halves the cache; kept float32 when a value would overflow it (large residual-stream outliers)."""
    fits = np.abs(values).max(initial=0.0) < np.finfo(np.float16).max
    return values.astype(np.float16) if fits else values.astype(np.float32)


def compute_all(sources, **kwargs) -> dict:
    """compute_features for each source, with one bar over them; {(backbone, dataset): {split: seconds}}."""
    return {(s.backbone, s.dataset): compute_features(s, **kwargs) for s in tqdm(list(sources), desc="feature sets")}
