"""Does a cached run regenerate from the code? ``lle verify`` recomputes a run from scratch, in a temporary cache and
results folder, and compares the new scores with the cached ones, split by split.

A run is rebuilt from what its sidecar records: the paper's runs by their slug (:mod:`lle.runs.pipeline`), a
run of your own (``lle run``) from its recipe, data files, columns and thread count; data files whose checksums
changed since are an error, never a silent recompute on other inputs. The report per split: bit-identical or not,
the largest difference in log-probability (every layer, and the final layer), prediction agreement at every layer,
and the final layer's macro-F1 both ways. A run verifies when its largest difference is within the tolerance.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from lle.integrity import atomic_path
from lle.method.metrics import classification_metrics
from lle.models.device import cpu_description
from lle.store.scores import EVAL_SPLITS, LayerScores, load_layer_scores, score_path

TOLERANCE = 1e-4  # largest |Δ log p| that still counts as reproduced (float32 sums in another order differ ~1e-6)


@dataclass(frozen=True)
class SplitComparison:
    split: str
    bit_identical: bool
    max_difference: float
    max_difference_final_layer: float
    agreement_per_layer: tuple[float, ...]
    final_f1_cached: float
    final_f1_recomputed: float


def compare_scores(split: str, cached: LayerScores, recomputed: LayerScores) -> SplitComparison:
    """How far recomputed scores are from cached ones (same samples, layers and classes required)."""
    if cached.log_probs.shape != recomputed.log_probs.shape or not np.array_equal(cached.labels, recomputed.labels):
        raise ValueError(
            f"{split}: the recomputed scores have shape {recomputed.log_probs.shape} and their own labels; "
            f"the cached ones {cached.log_probs.shape}: the run was made from other data"
        )
    a, b = cached.log_probs.astype(np.float64), recomputed.log_probs.astype(np.float64)
    finite = np.isfinite(a) & np.isfinite(b)
    difference = np.where(finite, np.abs(a - b), np.where(a == b, 0.0, np.inf))
    agreement = (a.argmax(-1) == b.argmax(-1)).mean(axis=0)
    n_classes = a.shape[2]
    f1 = [float(classification_metrics(x[:, -1].argmax(-1), cached.labels, n_classes)["macro_f1"]) for x in (a, b)]
    return SplitComparison(
        split,
        cached.log_probs.tobytes() == recomputed.log_probs.tobytes(),
        float(difference.max()),
        float(difference[:, -1].max()),
        tuple(float(x) for x in agreement),
        *f1,
    )


def compare_checksums(split: str, provenance: dict, recomputed: LayerScores) -> SplitComparison:
    """A recorded score file that is not kept (only its sidecar is) against the recomputed one: bit-identical
    exactly when the recomputed file's SHA-256 is the one recorded; the size of a difference cannot be known."""
    identical = recomputed.provenance["file_sha256"] == provenance["file_sha256"]
    n_classes = recomputed.log_probs.shape[2]
    labels = recomputed.labels
    f1 = float(classification_metrics(recomputed.log_probs[:, -1].argmax(-1), labels, n_classes)["macro_f1"])
    return SplitComparison(
        split,
        identical,
        0.0 if identical else np.nan,
        0.0 if identical else np.nan,
        (),
        np.nan if not identical else f1,
        f1,
    )


def rebuild_run(provenance: dict, base=None):
    """(run, source) that recompute what a sidecar describes: a paper run by its slug, else an ``lle run`` from the
    recorded recipe and data files (checked against the recorded checksums). A relative data path (recorded by an
    older lle run) is looked up as written, then relative to ``base`` (the run's --out folder) and its parent."""
    from lle import data
    from lle.runs.gpu import find_any_run
    from lle.runs.pipeline import Run, data_identity
    from lle.training.recipe import Recipe

    slug, dataset = provenance["run"], provenance["dataset"]
    if dataset in data.DATASETS:
        run = find_any_run(slug, dataset)
        recorded = provenance.get("recipe", {})
        seeded = Run(run.slug, replace(run.recipe, seed=int(recorded.get("seed", run.recipe.seed))))
        differs = sorted(k for k, v in seeded.recipe.to_dict().items() if k in recorded and recorded[k] != v)
        if differs:
            raise ValueError(
                f"the sidecar of {slug} / {dataset} records a recipe that differs from that run's in "
                f"{differs}: it no longer matches the run it names (edited, or made by other code); "
                f"recompute it with scripts/compute_layer_scores.py --run {slug} --dataset {dataset} "
                "--force, or restore it with git checkout"
            )
        return seeded, None
    if "data_files" not in provenance:
        raise ValueError(
            f"the sidecar of {slug} / {dataset} does not record its data files (made by an older lle "
            "run); rerun lle run with --force to record them, then verify"
        )
    recorded = provenance["data"]
    files = {split: _find_data_file(path, base) for split, path in provenance["data_files"].items()}
    source = data.FileDataset(
        dataset, files, text_column=recorded["text_column"], label_column=recorded["label_column"]
    )
    now = data_identity(source)
    changed = [split for split in now["sha256"] if now["sha256"][split] != recorded["sha256"][split]]
    if changed:
        raise ValueError(
            f"the data files of {slug} / {dataset} changed since the run ({', '.join(changed)}: "
            f"{', '.join(provenance['data_files'][s] for s in changed)}); verify needs the files the run "
            "read"
        )
    recipe = dict(provenance["recipe"])
    if recipe.get("label_words") is not None:
        recipe["label_words"] = tuple(recipe["label_words"])
    return Run(slug, Recipe(**recipe)), source


def _find_data_file(path: str, base) -> str:
    """``path`` as recorded if it exists (or is a hub: source), else relative to ``base`` or its parent if there."""
    if path.startswith("hub:") or Path(path).is_absolute() or Path(path).exists() or base is None:
        return path
    for folder in (Path(base), Path(base).parent):
        if (folder / path).exists():
            return str(folder / path)
    return path


@contextmanager
def scratch_cache():
    """A temporary cache directory (model copies, checkpoints, pooled states) for one recomputation."""
    with tempfile.TemporaryDirectory(prefix="lle-verify-") as folder, cache_at(Path(folder)):
        yield Path(folder)


@contextmanager
def cache_at(folder: Path):
    """``LLE_CACHE_DIR`` set to ``folder`` for the duration, then restored."""
    before = os.environ.get("LLE_CACHE_DIR")
    os.environ["LLE_CACHE_DIR"] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop("LLE_CACHE_DIR", None)
        else:
            os.environ["LLE_CACHE_DIR"] = before


def check_sidecar_matches(plan, provenance: dict, path: Path) -> None:
    """Refuse to verify a run whose sidecar no longer matches it: the run key its fields give is not the one it
    records (a sidecar edited by hand, or damaged), naming the sidecar and the fields that differ."""
    recorded = provenance.get("run_key")
    if recorded is None or recorded == plan.key:
        return
    fields = {
        "recipe": plan.recipe.to_dict(),
        "max_length": plan.max_length,
        "data": plan.identity,
        **plan.resolved.provenance(),
    }
    differs = sorted(k for k, v in fields.items() if k in provenance and json.loads(json.dumps(v)) != provenance[k])
    raise ValueError(
        f"the sidecar {path} no longer matches its run: it records run key {recorded}, but its fields "
        f"give {plan.key}"
        + (f" (they differ in {', '.join(differs)})" if differs else "")
        + "; restore the sidecar the run wrote (git checkout, or rerun the lle run command that made it)"
    )


def kernel_difference(provenance: dict) -> str | None:
    """A warning when the cached run ran on other CPU kernels than the recomputing CPU (torch picks AVX2, AVX-512 ...
    code by the CPU, and they sum in other orders), or on another CPU (its BLAS may take other code paths with the
    same torch kernels): then identical bits are not expected, only the tolerance."""
    notes = []
    cached, here = provenance.get("cpu_capability"), torch.backends.cpu.get_cpu_capability()
    if cached is not None and cached != here:
        notes.append(f"the cached run used torch's {cached} CPU kernels, the recomputation {here}")
    cpu, this_cpu = provenance.get("cpu"), cpu_description()
    if cpu is not None and cpu != this_cpu:
        notes.append(f"the cached run ran on {cpu}, the recomputation on {this_cpu}")
    if not notes:
        return None
    return f"{'; '.join(notes)}: expect differences within the tolerance ({TOLERANCE:g}) rather than identical bits"


def verify_run(
    slug: str,
    dataset: str,
    *,
    results_root=None,
    progress: bool = True,
    keep_dir=None,
    cache=None,
    recomputed=None,
) -> pd.DataFrame:
    """Recompute (slug, dataset) from scratch with the recorded thread count and compare with the cached scores;
    one row per split (:class:`SplitComparison` fields, with run, dataset, seed, seconds, date and machine). With
    ``keep_dir`` the recomputed score files (and sidecars) are kept there, laid out like ``results/``. ``cache``: a
    scratch cache already holding this run's recomputed pooled states (another seed of it), else a new one.
    ``recomputed``: a folder where an earlier ``keep_dir`` holds this run's recomputation (made elsewhere, or
    before the cached files were replaced by another); it is compared instead of recomputing, and the rows give the
    seconds and machine that recomputation recorded."""
    paths = {split: score_path(slug, dataset, split, results_root) for split in EVAL_SPLITS}
    # A recorded run whose score files are not kept (lle.runs.seeds) is compared by the checksums it recorded.
    cached = {split: load_layer_scores(path) if path.is_file() else None for split, path in paths.items()}
    recorded = {split: json.loads(path.with_suffix(".json").read_text()) for split, path in paths.items()}
    if recomputed is not None and keep_dir is not None:
        raise ValueError("recomputed scores are compared as they are: keep_dir (--keep) has nothing to keep")
    if recomputed is None:
        seed, fresh, seconds, machine = _recompute(
            slug, dataset, recorded["test"], results_root, progress, keep_dir, cache
        )
    else:
        seed, fresh, seconds, machine = _kept_recomputation(slug, dataset, recorded["test"], Path(recomputed))
    rows = [
        {
            "run": slug,
            "dataset": dataset,
            "seed": seed,
            **(
                compare_scores(split, cached[split], fresh[split])
                if cached[split] is not None
                else compare_checksums(split, recorded[split], fresh[split])
            ).__dict__,
            "file_sha256": recorded[split]["file_sha256"],
            "seconds": round(seconds, 1),
            "date": date.today().isoformat(),
            "machine": machine,
        }
        for split in EVAL_SPLITS
    ]
    frame = pd.DataFrame(rows)
    frame["agreement_per_layer"] = frame.agreement_per_layer.map(lambda v: json.dumps([round(x, 6) for x in v]))
    return frame


def _recompute(slug, dataset, provenance: dict, results_root, progress: bool, keep_dir, cache) -> tuple:
    """(seed, {split: recomputed scores}, seconds, machine) of a recomputation from scratch in a scratch folder."""
    from lle.runs.pipeline import compute_run, plan_run

    run, source = rebuild_run(provenance, base=results_root)
    note = kernel_difference(provenance)
    if note:
        print(f"{slug} / {dataset}: {note}", file=sys.stderr)
    start = time.perf_counter()
    with cache_at(Path(cache)) if cache is not None else scratch_cache() as folder:
        placement = {"device": provenance.get("device", "cpu"), "precision": provenance.get("precision", "fp32")}
        plan = plan_run(run, source=source, progress=progress, **placement)
        check_sidecar_matches(plan, provenance, score_path(slug, dataset, "test", results_root).with_suffix(".json"))
        results = folder / f"results-seed{run.recipe.seed}"
        compute_run(plan, results_root=results, progress=progress, threads=provenance.get("threads"))
        fresh = {split: load_layer_scores(score_path(slug, dataset, split, results)) for split in EVAL_SPLITS}
        if keep_dir is not None:
            keep_scores(slug, dataset, results, Path(keep_dir))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {torch.backends.cpu.get_cpu_capability()}"
    return run.recipe.seed, fresh, time.perf_counter() - start, machine


def _kept_recomputation(slug, dataset, provenance: dict, folder: Path) -> tuple:
    """(seed, {split: scores}, seconds, machine) of a recomputation an earlier ``keep_dir`` holds under ``folder``;
    it must be of the same run (the same run key: recipe, seed, data and model) as the cached one."""
    paths = {split: score_path(slug, dataset, split, folder) for split in EVAL_SPLITS}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder} holds no recomputation of {slug} / {dataset} ({', '.join(missing)} missing); pass the "
            "folder an lle verify --keep DIR wrote for this run"
        )
    fresh = {split: load_layer_scores(path) for split, path in paths.items()}
    kept = fresh["test"].provenance
    if kept.get("run_key") != provenance.get("run_key"):
        raise ValueError(
            f"{paths['test'].with_suffix('.json')} records run key {kept.get('run_key')}, the cached run "
            f"{provenance.get('run_key')}: it recomputed another run (recipe, seed, data or model differ); pass "
            "the folder kept for this run"
        )
    machine = ", ".join(str(kept[k]) for k in ("machine", "cpu_capability") if kept.get(k))
    seconds = float(kept.get("wall_time_seconds", {}).get("total", float("nan")))
    return int(kept["recipe"]["seed"]), fresh, seconds, f"{machine} (recomputed earlier, kept)"


def unknown_run_message(run: str, dataset: str, cached: list) -> str:
    """Why (run, dataset) cannot be verified, with the nearest cached run and dataset names and every cached pair."""
    from lle.store.scores import closest_name

    near = [closest_name(run, {r for r, _ in cached}) or run, closest_name(dataset, {d for _, d in cached}) or dataset]
    hint = f"did you mean {near[0]} {near[1]}? " if tuple(near) in set(cached) and tuple(near) != (run, dataset) else ""
    return (
        f"no cached run {run} / {dataset} in results/; {hint}cached: {', '.join(f'{r} {d}' for r, d in cached)}; "
        "for the --out folder of an lle run pass that folder"
    )


def keep_scores(slug: str, dataset: str, results_root: Path, keep_dir: Path) -> None:
    """Copy the recomputed score files and sidecars of every split under ``keep_dir`` (same layout)."""
    from lle.store.run_folders import record_path

    sources = [
        score_path(slug, dataset, split, results_root).with_suffix(suffix)
        for split in EVAL_SPLITS
        for suffix in (".npz", ".json")
    ] + [record_path(results_root, slug, dataset)]
    for source in sources:
        if source.is_file():
            with atomic_path(Path(keep_dir) / source.relative_to(results_root)) as temporary:
                shutil.copyfile(source, temporary)


def verified(frame: pd.DataFrame, tolerance: float = TOLERANCE) -> bool:
    """True when every split of ``frame`` is within ``tolerance`` of the cached scores."""
    return bool((frame.max_difference <= tolerance).all())


def describe(frame: pd.DataFrame, tolerance: float = TOLERANCE) -> str:
    """Lines a reader can act on: per split, identical or how far off, and the verdict."""
    lines = []
    for row in frame.itertuples():
        state = (
            "bit-identical"
            if row.bit_identical
            else (f"largest |Δ log p| {row.max_difference:.3g} (final layer {row.max_difference_final_layer:.3g})")
        )
        agreement = json.loads(row.agreement_per_layer)
        lines.append(
            f"{row.run} / {row.dataset} / {row.split}: {state}; prediction agreement per layer "
            f"{min(agreement):.4f}..{max(agreement):.4f} (final {agreement[-1]:.4f}); final-layer macro-F1 "
            f"cached {row.final_f1_cached:.4f}, recomputed {row.final_f1_recomputed:.4f}"
        )
    verdict = "reproduced" if verified(frame, tolerance) else f"NOT reproduced (tolerance {tolerance:g})"
    return "\n".join(
        lines + [f"{frame.run.iloc[0]} / {frame.dataset.iloc[0]}: {verdict} in {frame.seconds.iloc[0]:.0f} s"]
    )


REPORT_COLUMNS = [
    "run",
    "dataset",
    "seed",
    "split",
    "status",
    "bit_identical",
    "max_difference",
    "max_difference_final_layer",
    "agreement_per_layer",
    "final_f1_cached",
    "final_f1_recomputed",
    "file_sha256",
    "seconds",
    "estimated_seconds",
    "date",
    "machine",
]


def sidecar(run: str, dataset: str, split: str, results_root=None) -> dict:
    """A score file's provenance sidecar, read without loading (or hashing) the scores: enough to order and skip
    runs; :func:`verify_run` loads and checks the scores of the runs it recomputes."""
    return json.loads(score_path(run, dataset, split, results_root).with_suffix(".json").read_text())


def runs_by_cost(results_root=None) -> list[tuple[str, str, int, float]]:
    """Every cached (run, dataset, training seed) with the wall time its sidecar records, cheapest first; the other
    seeds of a run (:mod:`lle.runs.seeds`) follow its seed 0, so they can share its recomputed pooling."""
    from lle.runs.seeds import SEEDS, seed_root
    from lle.store.scores import recorded_runs

    costs, first = [], {}
    for seed in (0, *SEEDS):
        seed_results_root = seed_root(seed, results_root)
        for run, dataset in sorted({(r, d) for r, d, _ in recorded_runs(seed_results_root)}):
            provenance = sidecar(run, dataset, "test", seed_results_root)
            cost = float(provenance.get("wall_time_seconds", {}).get("total", float("inf")))
            first.setdefault((run, dataset), cost)
            costs.append((run, dataset, seed, cost))
    return sorted(costs, key=lambda item: (first[item[:2]], item[0], item[1], item[2]))


def verify_all(
    report_path: Path,
    *,
    results_root=None,
    limit_seconds: float | None = None,
    progress: bool = True,
    only=None,
    seeds=None,
    keep_dir=None,
    recomputed=None,
    tolerance: float = TOLERANCE,
) -> pd.DataFrame:
    """Verify every cached run and training seed, cheapest first, writing ``report_path`` after each (resumable: a
    run whose cached files are unchanged since it was verified is not recomputed). Runs not reached
    (``limit_seconds`` of estimated cost spent, not in ``only`` or of a training seed not in ``seeds``, or
    interrupted) stay listed as pending with their
    estimated cost. ``keep_dir`` and ``recomputed`` (see :func:`verify_run`) are laid out like ``results/``: training
    seed K of a run under their seeds/seedK. The seeds of one run share one scratch cache, so a frozen head's pooling
    is recomputed once.
    Two processes may verify different runs at once (``only``): each write merges this process's rows into the
    report as it stands on disk, under a lock, so neither loses the other's."""
    from lle.progress import tqdm
    from lle.runs.seeds import seed_folder, seed_root

    done = _report_rows(report_path)
    queue = _queue(results_root)
    verified, spent = {}, 0.0  # {(run, dataset, seed): rows this process recomputed}
    with scratch_cache() as shared:
        for run, dataset, seed, cost, current in tqdm(queue, desc="verifying runs", disable=not progress):
            kept = _kept_rows(run, dataset, seed, cost, current, done)
            skipped = (only is not None and (run, dataset) not in only) or (seeds is not None and seed not in seeds)
            if (
                kept[0]["status"] != "pending"
                or skipped
                or (limit_seconds is not None and spent + cost > limit_seconds)
            ):
                continue
            cache = shared / run / dataset  # one per run: its seeds reuse the recomputed pooled states
            cache.mkdir(parents=True, exist_ok=True)
            frame = verify_run(
                run,
                dataset,
                results_root=seed_root(seed, results_root),
                progress=progress,
                keep_dir=None if keep_dir is None else Path(keep_dir) / seed_folder(seed),
                cache=cache,
                recomputed=None if recomputed is None else Path(recomputed) / seed_folder(seed),
            )
            frame["status"] = np.where(frame.max_difference <= tolerance, "reproduced", "differs")
            frame["estimated_seconds"] = round(cost, 1)
            verified[run, dataset, seed] = frame.to_dict("records")
            spent += cost
            _merge_report(report_path, results_root, verified)  # whole, so an interruption loses no row
    return _merge_report(report_path, results_root, verified)


def _report_rows(report_path) -> pd.DataFrame:
    """The verified rows of a report as it stands (none when there is no report yet)."""
    done = read_report(report_path) if Path(report_path).is_file() else pd.DataFrame(columns=REPORT_COLUMNS)
    return done[done.status != "pending"]


def _queue(results_root) -> list[tuple]:
    """(run, dataset, seed, estimated cost, {split: file checksum}) of every recorded run, cheapest first."""
    from lle.runs.seeds import seed_root

    return [
        (
            run,
            dataset,
            seed,
            cost,
            {
                split: sidecar(run, dataset, split, seed_root(seed, results_root))["file_sha256"]
                for split in EVAL_SPLITS
            },
        )
        for run, dataset, seed, cost in runs_by_cost(results_root)
    ]


def _merge_report(report_path, results_root, verified: dict) -> pd.DataFrame:
    """Write the report, under a lock beside it: this process's ``verified`` rows, and for every other run recorded
    now the rows the report on disk holds (another process may have verified it meanwhile, or computed it since
    this one started)."""
    from filelock import FileLock

    from lle.store.formats import write_csv

    with FileLock(str(Path(report_path).with_name(f".{Path(report_path).name}.lock")), timeout=600):
        done = _report_rows(report_path)
        rows = [row for entry in _queue(results_root) for row in verified.get(entry[:3]) or _kept_rows(*entry, done)]
        report = pd.DataFrame(rows, columns=REPORT_COLUMNS)
        write_csv(report, report_path)
    return report


def _kept_rows(run: str, dataset: str, seed: int, cost: float, current: dict, done: pd.DataFrame) -> list[dict]:
    """The report's rows of a run as they stand: its stored verification while its cached files are unchanged,
    else pending with the estimated cost."""
    previous = done[(done.run == run) & (done.dataset == dataset) & (done.seed == seed)]
    if len(previous) == len(EVAL_SPLITS) and set(previous.file_sha256) == set(current.values()):
        return previous.to_dict("records")
    return [
        {
            "run": run,
            "dataset": dataset,
            "seed": seed,
            "split": split,
            "status": "pending",
            "file_sha256": sha,
            "estimated_seconds": round(cost, 1),
        }
        for split, sha in current.items()
    ]


def read_report(path) -> pd.DataFrame:
    """A verification report as written; one made before seeds were recorded is read as seed 0 throughout."""
    report = pd.read_csv(path)
    if "seed" not in report:
        report.insert(report.columns.get_loc("dataset") + 1, "seed", 0)
    return report


def load_report(path=None) -> pd.DataFrame:
    """The verification report ``results/verification.csv`` (or ``path``), as :func:`verify_all` wrote it."""
    from lle.paths import results_dir

    path = Path(path) if path is not None else results_dir() / "verification.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: `lle verify --all` (or `make verify`) writes it")
    return read_report(path)


def summarize(report: pd.DataFrame) -> pd.DataFrame:
    """One row per (run, dataset) of the report, in its order (cheapest first): status, whether both splits are
    bit-identical, the largest ``|Δ log p|``, the test split's final-layer macro-F1 both ways, and the seconds spent
    (or, pending, the estimated cost)."""
    rows = []
    for (run, dataset, seed), splits in report.groupby(["run", "dataset", "seed"], sort=False):
        test = splits[splits.split == "test"].iloc[0]
        done = (splits.status != "pending").all()
        rows.append(
            {
                "run": run,
                "dataset": dataset,
                "seed": int(seed),
                "status": "pending"
                if not done
                else ("reproduced" if (splits.status == "reproduced").all() else "differs"),
                "bit_identical": bool(splits.bit_identical.astype(bool).all()) if done else None,
                "max_difference": float(splits.max_difference.max()) if done else None,
                "test_f1_cached": test.final_f1_cached,
                "test_f1_recomputed": test.final_f1_recomputed,
                "seconds": test.seconds if done else None,
                "estimated_seconds": test.estimated_seconds,
                "date": test.date if done else None,
                "machine": test.machine if done else None,
            }
        )
    return pd.DataFrame(rows)


def findings(summary: pd.DataFrame) -> str:
    """What the report says, in prose: how many runs were recomputed and matched, which differ, what is pending."""
    done = summary[summary.status != "pending"]
    pending = summary[summary.status == "pending"]
    differs = done[done.status == "differs"]
    lines = [
        f"{len(done)} of {len(summary)} cached runs were recomputed from scratch and compared with the cache; "
        f"{int(done.bit_identical.sum())} gave back both score files bit for bit, "
        f"{len(differs) or 'none'} differed by more than the tolerance ({TOLERANCE:g} in log-probability)."
    ]
    if len(done):
        machines, dates = sorted(set(done.machine)), sorted(set(done.date))
        when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
        lines.append(
            f"Recomputed with `lle verify --all` on {'; '.join(machines)} (CPU), {when}: "
            f"{done.seconds.sum() / 3600:.1f} hours of wall time in all."
        )
    for row in differs.itertuples():
        lines.append(
            f"**{row.run} / {row.dataset}{f' / seed {row.seed}' if row.seed else ''} differs**: largest |Δ log p| {row.max_difference:.3g}; "
            f"test final-layer macro-F1 cached {row.test_f1_cached:.4f}, recomputed "
            f"{row.test_f1_recomputed:.4f}."
        )
    if len(pending):
        listed = "; ".join(
            f"{row.run} / {row.dataset}{f' / seed {row.seed}' if row.seed else ''} (about "
            f"{row.estimated_seconds / 60:.0f} min)"
            for row in pending.itertuples()
        )
        lines.append(
            f"Pending, with the wall time each took when it was cached: {listed}. `lle verify --all` resumes with them."
        )
    return "\n".join(lines)


def markdown(summary: pd.DataFrame) -> str:
    """The findings and the per-run table, as Markdown for the reproducibility page."""

    def text(column: str, spec: str) -> pd.Series:  # blank where a pending run has no number
        return summary[column].map(lambda v: "" if pd.isna(v) else format(v, spec))

    shown = summary.assign(
        bit_identical=summary.bit_identical.map({True: "yes", False: "no", None: ""}),
        max_difference=text("max_difference", ".3g"),
        test_f1_cached=text("test_f1_cached", ".4f"),
        test_f1_recomputed=text("test_f1_recomputed", ".4f"),
        minutes=[
            f"{(s if pd.notna(s) else e) / 60:.0f}" + ("" if pd.notna(s) else " (estimated)")
            for s, e in zip(summary.seconds, summary.estimated_seconds)
        ],
    )
    shown = shown[
        [
            "run",
            "dataset",
            "seed",
            "status",
            "bit_identical",
            "max_difference",
            "test_f1_cached",
            "test_f1_recomputed",
            "minutes",
        ]
    ].rename(
        columns={
            "bit_identical": "bit-identical",
            "max_difference": "largest Δ log p (abs.)",
            "test_f1_cached": "test macro-F1 (cached)",
            "test_f1_recomputed": "test macro-F1 (recomputed)",
        }
    )
    return findings(summary) + "\n\n" + shown.to_markdown(index=False)
