"""The STC stage: probes and aggregation for every (backbone, dataset) × (representation, pooling), cached.

Results go to ``results/stc/<backbone>/<dataset>/<representation>_<pooling>.json``: the per-layer probe rows, the
aggregation rows, and the provenance (the features' checksums and fingerprint, the grid, the seconds). A file is
reused only when its provenance matches the current features and grid, so an interrupted stage resumes at the
first (representation, pooling) not yet done, and the notebook reads these files without the (large, git-ignored)
feature cache.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lle import data
from lle.context.cache import StageRecord
from lle.context.stc import feature_cache as stc_features
from lle.context.stc.feature_cache import SPLITS, FeatureSource, load_features
from lle.context.stc.method import FeatureSplits, ProbeGrid, aggregation_curve, choose, layer_probes
from lle.models.backbones import BACKBONES
from lle.models.features import PROBE_POOLINGS, REPRESENTATIONS
from lle.paths import results_dir
from lle.progress import tqdm
from lle.runs.pipeline import find_run
from lle.training.loops import trainable_parameters

REFRESH = "python scripts/compute_stc.py (or make reproduce RECOMPUTE=1)"
FIRST_LAYER = {"hidden": 0, "ffn": 1}  # FFN activations of block i are layer i + 1

# STC's own setting: SST-2, frozen MiniLM and MPNet, 4,000 training sentences, the full grid.
REPRODUCTION_GRID = ProbeGrid(cs=(0.01, 0.03, 0.1, 0.3))
# Beside LLE: every backbone × the paper's datasets, 2,000 training texts; hidden states only, mean and single-token
# pooling (FFN probes over 28 classes cost about four times as much: measured 5 minutes per pooling for MiniLM on
# goEmotions), a smaller C grid (C = 1 is the slowest fit and never won a layer in a trial on MiniLM/goEmotions),
# η from 0.01, and every second layer of the two deep decoders (30 and 18 blocks) — the budget cuts that keep the
# stage within a few CPU hours. The full grid (FFN and max pooling included) runs on STC's own setting.
COMPARISON_ETAS = (0.01, 0.05, 0.1, 0.2, 0.5)
COMPARISON_KINDS = {"representations": ("hidden",), "poolings": ("mean", "token")}
# STC's single-layer L1 probe against plain (L2) logistic regression on the same layer: STC's own setting, hidden
# states, mean pooling, every layer, the reproduction's C grid for both.
PLAIN_KINDS = {"representations": ("hidden",), "poolings": ("mean",)}


def reproduction_sources() -> list[FeatureSource]:
    """STC's own setting: SST-2 with each sentence encoder (training capped at 4,000)."""
    return [
        FeatureSource(backbone, "sst2", max_train_samples=4000, max_validation_samples=1000)
        for backbone in ("all-MiniLM-L6-v2", "all-mpnet-base-v2")
    ]


def comparison_sources() -> list[FeatureSource]:
    """Every (backbone, dataset) of the comparison with the LLE runs."""
    return [FeatureSource(backbone, dataset) for backbone in BACKBONES for dataset in data.DATASETS]


def comparison_grid(backbone: str) -> ProbeGrid:
    """The probe grid of the comparison (every other layer on deep backbones)."""
    return ProbeGrid(cs=(0.05, 0.25), etas=COMPARISON_ETAS, layer_stride=2 if BACKBONES[backbone].deep else 1)


def result_path(source: FeatureSource, representation: str, pooling: str, results_root=None) -> Path:
    """The JSON of one (source, representation, pooling) probe sweep."""
    return (
        Path(results_dir(results_root)) / "stc" / source.backbone / source.dataset / f"{representation}_{pooling}.json"
    )


def plain_path(source: FeatureSource, representation: str, pooling: str, results_root=None) -> Path:
    """The JSON of one (source, representation, pooling) sweep of plain logistic-regression probes."""
    return (
        Path(results_dir(results_root))
        / "stc_plain"
        / source.backbone
        / source.dataset
        / f"{representation}_{pooling}.json"
    )


def n_classes_of(source: FeatureSource) -> int:
    """The number of classes of ``source``'s dataset."""
    return 2 if source.dataset == "sst2" else len(data.DATASETS[source.dataset].label_names)


def run_source(
    source: FeatureSource,
    grid: ProbeGrid,
    *,
    representations=REPRESENTATIONS,
    poolings=PROBE_POOLINGS,
    cache_root=None,
    results_root=None,
    data_dir=None,
    progress: bool = True,
) -> dict:
    """Probe and aggregate every (representation, pooling) of one feature source not yet cached; returns
    {(representation, pooling): seconds} (0 when reused)."""
    loaded = {split: load_features(source, split, cache_root=cache_root, data_dir=data_dir) for split in SPLITS}
    inputs = {
        "source": asdict(source),
        "grid": asdict(grid),  # what decides the probes (feature timing does not)
        "features_sha256": {split: loaded[split][2]["file_sha256"] for split in SPLITS},
        "beside": beside_run(source, n_classes_of(source)),
    }
    feature_seconds = {split: loaded[split][2]["seconds"] for split in SPLITS}
    seconds = {}
    for rep in representations:
        for pooling in poolings:
            stage = StageRecord(result_path(source, rep, pooling, results_root), inputs, refresh=REFRESH)
            if stage.current() is not None:
                seconds[(rep, pooling)] = 0.0
                continue
            splits = _feature_splits(loaded, source, rep, pooling)
            start = time.perf_counter()
            label = f"{source.backbone} {source.dataset} {rep} {pooling}"
            layer_rows, importance = layer_probes(splits, grid, progress=progress, desc=f"{label}: layers")
            aggregation_rows = aggregation_curve(
                splits, importance, grid, progress=progress, desc=f"{label}: aggregation"
            )
            seconds[(rep, pooling)] = time.perf_counter() - start
            record = {
                "provenance": {
                    "feature_seconds": feature_seconds,
                    "seconds": round(seconds[(rep, pooling)], 1),
                    "n_layers": splits.train.shape[1],
                },
                "test_predictions": chosen_predictions(layer_rows, aggregation_rows),
            }
            record.update(layers=_without_predictions(layer_rows), aggregation=_without_predictions(aggregation_rows))
            stage.write(record, indent=None)
    return seconds


def run_plain(
    source: FeatureSource,
    grid: ProbeGrid,
    *,
    representations=PLAIN_KINDS["representations"],
    poolings=PLAIN_KINDS["poolings"],
    cache_root=None,
    results_root=None,
    data_dir=None,
    progress: bool = True,
) -> dict:
    """STC's single-layer L1 probe and plain (L2) logistic regression on every layer of one feature source, fitted
    on the same features with the same grid and seed, with each probe's test predictions (for a paired comparison);
    not yet cached ones only. Returns {(representation, pooling): seconds}."""
    loaded = {split: load_features(source, split, cache_root=cache_root, data_dir=data_dir) for split in SPLITS}
    inputs = {
        "source": asdict(source),
        "grid": asdict(grid),
        "penalties": ["l1", "l2"],
        "features_sha256": {split: loaded[split][2]["file_sha256"] for split in SPLITS},
    }
    seconds = {}
    for rep in representations:
        for pooling in poolings:
            stage = StageRecord(plain_path(source, rep, pooling, results_root), inputs, refresh=REFRESH)
            if stage.current() is not None:
                seconds[(rep, pooling)] = 0.0
                continue
            splits = _feature_splits(loaded, source, rep, pooling)
            start = time.perf_counter()
            rows = []
            for penalty in ("l1", "l2"):
                label = f"{source.backbone} {source.dataset} {rep} {pooling}: {penalty} probes"
                fitted, _ = layer_probes(splits, grid, progress=progress, desc=label, penalty=penalty)
                rows += [{**row, "penalty": penalty} for row in fitted]
            seconds[(rep, pooling)] = time.perf_counter() - start
            record = {"provenance": {"seconds": round(seconds[(rep, pooling)], 1), "n_layers": splits.train.shape[1]}}
            record.update(layers=rows, n_test=int(len(splits.labels["test"])))
            stage.write(record, indent=None)
    return seconds


def load_plain(results_root=None) -> pd.DataFrame:
    """Every cached row of the plain part (one per layer and penalty, with its test predictions), with backbone,
    dataset, representation, pooling and n_test columns (empty when the stage's plain part has not run)."""
    rows = []
    for path in sorted((Path(results_dir(results_root)) / "stc_plain").glob("*/*/*.json")):
        stored = json.loads(path.read_text())
        rep, pooling = path.stem.split("_", 1)
        key = {"backbone": path.parent.parent.name, "dataset": path.parent.name, "representation": rep}
        rows += [{**key, "pooling": pooling, "n_test": stored["n_test"], **row} for row in stored["layers"]]
    return pd.DataFrame(rows)


def _feature_splits(loaded: dict, source: FeatureSource, rep: str, pooling: str) -> FeatureSplits:
    """One (representation, pooling) of a source's loaded features, as the probes read them."""
    return FeatureSplits(
        *(loaded[s][0][(rep, pooling)] for s in SPLITS),
        labels={s: loaded[s][1] for s in SPLITS},
        first_layer=FIRST_LAYER[rep],
        n_classes=n_classes_of(source),
    )


def beside_run(source: FeatureSource, n_classes: int) -> dict | None:
    """The LLE run on the same backbone and dataset, and how many parameters it trains (None for SST-2)."""
    if source.dataset == "sst2":
        return None

    run = find_run(BACKBONES[source.backbone].lle_run, source.dataset)
    backbone = stc_features.load_backbone(source.model_id)
    return {
        "run": run.slug,
        "trainable_parameters": trainable_parameters(backbone, run.recipe, n_classes),
        "backbone_parameters": sum(p.numel() for p in backbone.parameters()),
    }


def chosen_predictions(layer_rows: list, aggregation_rows: list) -> dict:
    """Test predictions of the probes a later comparison needs (bootstrap CIs): the validation-chosen single
    layer, the validation-chosen aggregation, and the final layer's probe."""
    layers, aggregation = pd.DataFrame(layer_rows), pd.DataFrame(aggregation_rows)
    chosen = {
        "best_layer": choose(layers, size_column="n_parameters", depth_column="layer"),
        "final_layer": layers.iloc[-1],
    }
    if not aggregation.empty:
        chosen["aggregated"] = choose(aggregation)
    return {name: list(row["test_predictions"]) for name, row in chosen.items()}


def _without_predictions(rows: list) -> list:
    return [{k: v for k, v in row.items() if k != "test_predictions"} for row in rows]


PARTS = ("reproduction", "comparison", "plain")


def compute_stage(parts=PARTS, *, backbones=None, results_root=None, progress: bool = True) -> dict:
    """The whole stage (hours on a CPU; resumes where it stopped): features, then probes, for the reproduction
    on SST-2, the comparison on the paper's datasets and/or the plain probes beside STC's single-layer ones.
    Returns {(backbone, dataset): {(part, rep, pooling): s}}."""
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"parts {unknown} unknown; choose from {list(PARTS)}")
    plan = {
        "reproduction": (reproduction_sources(), lambda backbone: REPRODUCTION_GRID, {}, run_source),
        "comparison": (comparison_sources(), comparison_grid, COMPARISON_KINDS, run_source),
        "plain": (reproduction_sources(), lambda backbone: REPRODUCTION_GRID, PLAIN_KINDS, run_plain),
    }
    seconds = {}
    for part in parts:
        sources, grid_of, kinds, run = plan[part]
        sources = [s for s in sources if backbones is None or s.backbone in backbones]
        stc_features.compute_all(sources, progress=progress)
        for source in tqdm(sources, desc=f"STC {part}", disable=not progress):
            done = run(source, grid_of(source.backbone), results_root=results_root, progress=progress, **kinds)
            seconds.setdefault((source.backbone, source.dataset), {}).update({(part, *k): v for k, v in done.items()})
    return seconds


@dataclass
class StcResults:
    """Everything the stage cached: per-layer rows, aggregation rows, one row per (source, representation,
    pooling) with its costs and the LLE run beside it, and the kept test predictions keyed like those rows."""

    layers: pd.DataFrame
    aggregation: pd.DataFrame
    sources: pd.DataFrame
    predictions: dict

    def of(self, dataset: str | None = None, *, exclude: str | None = None) -> "StcResults":
        """The results of one dataset (or all but ``exclude``)."""

        def keep(frame):
            mask = frame.dataset == dataset if dataset else frame.dataset != exclude
            return frame[mask].reset_index(drop=True)

        predictions = {
            key: value
            for key, value in self.predictions.items()
            if (key[1] == dataset if dataset else key[1] != exclude)
        }
        return StcResults(keep(self.layers), keep(self.aggregation), keep(self.sources), predictions)


def load_results(results_root=None) -> StcResults:
    """Every cached result, with backbone, dataset, representation, pooling and relative depth (layer / number of
    blocks) columns."""
    layers, aggregation, sources, predictions = [], [], [], {}
    for path in sorted((Path(results_dir(results_root)) / "stc").glob("*/*/*.json")):
        stored = json.loads(path.read_text())
        rep, pooling = path.stem.split("_", 1)
        key = {
            "backbone": path.parent.parent.name,
            "dataset": path.parent.name,
            "representation": rep,
            "pooling": pooling,
        }
        provenance = stored["provenance"]
        blocks = provenance["n_layers"] - (1 if rep == "hidden" else 0)
        layers += [{**key, **row, "relative_depth": row["layer"] / blocks} for row in stored["layers"]]
        aggregation += [{**key, **row, "relative_depth": row["upto_layer"] / blocks} for row in stored["aggregation"]]
        beside = provenance.get("beside") or {}
        sources.append(
            {
                **key,
                "probe_seconds": provenance["seconds"],
                "feature_seconds": sum(provenance["feature_seconds"].values()),
                "max_train_samples": provenance["source"]["max_train_samples"],
                "layer_stride": provenance["grid"]["layer_stride"],
                "beside_run": beside.get("run"),
                "beside_trainable_parameters": beside.get("trainable_parameters"),
            }
        )
        predictions[tuple(key.values())] = {
            name: np.asarray(values, dtype=np.int64) for name, values in stored["test_predictions"].items()
        }
    if not sources:
        raise FileNotFoundError(
            f"no STC results under {Path(results_dir(results_root)) / 'stc'}; run the STC stage "
            "(make reproduce RECOMPUTE=1, or python scripts/compute_stc.py)"
        )
    return StcResults(pd.DataFrame(layers), pd.DataFrame(aggregation), pd.DataFrame(sources), predictions)
