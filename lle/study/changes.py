"""What LLE changes: which standard predictions it moves, away from which class, and whether the new labels keep
the emotion's polarity. Each function takes prediction vectors, so it is tested on small arrays with known
answers; :func:`changes_for_study` applies them to a study's validation-selected LLE.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

import lle
from lle import data
from lle.claims.statistics import binomial_p
from lle.method._validate import class_indices
from lle.method.metrics import per_class_metrics


def _check(standard, new, labels):
    """Equal-length vectors of class indices; empty ones are fine (no prediction changed: every count is 0)."""
    standard, new, labels = (
        class_indices(a, name=name, allow_empty=True)
        for a, name in ((standard, "standard"), (new, "new"), (labels, "labels"))
    )
    if not standard.shape == new.shape == labels.shape or standard.ndim != 1:
        raise ValueError(
            f"standard {standard.shape}, new {new.shape} and labels {labels.shape} must be equal-length "
            "vectors of class indices"
        )
    return standard, new, labels


def flip_counts(standard, new, labels) -> dict:
    """Changed predictions, split by whether each side was right."""
    standard, new, labels = _check(standard, new, labels)
    changed = standard != new
    right_before, right_after = standard == labels, new == labels
    return {
        "n_changed": int(changed.sum()),
        "wrong_to_right": int((changed & ~right_before & right_after).sum()),
        "right_to_wrong": int((changed & right_before & ~right_after).sum()),
        "wrong_to_wrong": int((changed & ~right_before & ~right_after).sum()),
    }


def reference_bias(standard, new, labels, reference: int) -> dict:
    """How many changed predictions had ``reference`` (e.g. neutral) as the standard prediction, against how
    often standard classification predicts it at all; ``p_value`` is the two-sided exact binomial test of that
    share against the reference class's share of standard predictions (more often counts for the claim, less often
    against it)."""
    standard, new, labels = _check(standard, new, labels)
    changed = standard != new
    from_reference = int((standard[changed] == reference).sum())
    share_in_standard = float((standard == reference).mean())
    n_changed = int(changed.sum())
    return {
        **flip_counts(standard, new, labels),
        "n_test": len(labels),
        "changed_from_reference": from_reference,
        "share_changed_from_reference": from_reference / n_changed if n_changed else None,
        "share_reference_in_standard_predictions": share_in_standard,
        "share_reference_in_gold": float((labels == reference).mean()),
        "p_value": binomial_p(from_reference, n_changed, share_in_standard, alternative="two-sided"),
    }


def per_class_changes(standard, new, labels, label_names) -> pd.DataFrame:
    """Per class: precision and recall of standard and of the new predictions, and their changes."""
    standard, new, labels = _check(standard, new, labels)
    before, after = (per_class_metrics(p, labels, len(label_names)) for p in (standard, new))
    table = pd.DataFrame(
        {
            "class": list(label_names),
            "test_support": before["support"],
            "precision_standard": before["precision"],
            "precision_lle": after["precision"],
            "recall_standard": before["recall"],
            "recall_lle": after["recall"],
        }
    )
    table["precision_change"] = table.precision_lle - table.precision_standard
    table["recall_change"] = table.recall_lle - table.recall_standard
    return table


def label_changes(standard, new, labels, label_names, polarity=None, *, top_n: int | None = None) -> pd.DataFrame:
    """Each (standard → new) label pair among the changed predictions, most frequent first: its count, how often
    the new and the old label were right, and (with a polarity map) whether the change keeps polarity."""
    standard, new, labels = _check(standard, new, labels)
    changed = np.flatnonzero(standard != new)
    names = np.asarray(label_names, dtype=object)
    frame = pd.DataFrame(
        {
            "standard": names[standard[changed]],
            "lle": names[new[changed]],
            "lle_right": new[changed] == labels[changed],
            "standard_right": standard[changed] == labels[changed],
        }
    )
    counted = (
        frame.groupby(["standard", "lle"])
        .agg(
            count=("lle_right", "size"),
            lle_accuracy=("lle_right", "mean"),
            standard_accuracy=("standard_right", "mean"),
        )
        .reset_index()
        .sort_values(["count", "standard", "lle"], ascending=[False, True, True], kind="stable")
    )
    counted["keeps_polarity"] = (
        [polarity[a] == polarity[b] for a, b in zip(counted.standard, counted.lle)] if polarity else None
    )
    counted = counted.reset_index(drop=True)
    return counted.head(top_n) if top_n is not None else counted


def same_polarity_rate(polarity: dict, *, exclude=("neutral",)) -> float:
    """The chance that two distinct labels drawn uniformly (outside ``exclude``) share a polarity: the null rate
    for "changes keep polarity"."""
    labels = [label for label, group in polarity.items() if group not in exclude]
    pairs = list(combinations(labels, 2))
    return sum(polarity[a] == polarity[b] for a, b in pairs) / len(pairs)


def polarity_statistics(standard, new, labels, label_names, polarity: dict) -> dict:
    """Among emotion-to-emotion changes (neither side neutral): the share that keeps polarity with a two-sided
    binomial test against :func:`same_polarity_rate` (below chance counts against the claim), and wrong→right against right→wrong with an exact two-sided
    sign (McNemar) test."""
    standard, new, labels = _check(standard, new, labels)
    group = np.array([polarity[name] for name in label_names], dtype=object)
    changed = (standard != new) & (group[standard] != "neutral") & (group[new] != "neutral")
    kept = int((group[standard[changed]] == group[new[changed]]).sum())
    n = int(changed.sum())
    flips = flip_counts(standard[changed], new[changed], labels[changed])
    decided = flips["wrong_to_right"] + flips["right_to_wrong"]
    null = same_polarity_rate(polarity)
    return {
        "n_emotion_changes": n,
        "n_all_changes": int((standard != new).sum()),
        "kept_polarity": kept,
        "share_kept": kept / n if n else None,
        "chance_rate": null,
        "p_polarity": binomial_p(kept, n, null, alternative="two-sided"),
        "wrong_to_right": flips["wrong_to_right"],
        "right_to_wrong": flips["right_to_wrong"],
        "p_corrections": binomial_p(flips["wrong_to_right"], decided, 0.5, alternative="two-sided"),
    }


def layer_trajectories(log_probs, amateurs, standard, new, labels, reference: int) -> dict:
    """How the class probabilities of the samples LLE corrects move from each sample's amateur layer to the final
    layer: the gold class's rise and the reference class's change (probability at the final layer minus at the
    amateur), over the corrected samples whose gold class is not the reference. The rise is favoured by
    construction (LLE ranks classes by how their log-probability grows from the amateur to the final layer); the
    reference class's change is not."""
    log_probs = np.asarray(log_probs)
    standard, new, labels = _check(standard, new, labels)
    corrected = np.flatnonzero((standard != new) & (new == labels) & (labels != reference))
    probs = np.exp(log_probs[corrected])  # (n, layers, classes)
    at_amateur = probs[np.arange(len(corrected)), np.asarray(amateurs)[corrected]]
    rise = probs[:, -1, :] - at_amateur
    gold, ref = rise[np.arange(len(corrected)), labels[corrected]], rise[:, reference]

    def mean_sd(values):
        return (float(values.mean()), float(values.std(ddof=1))) if len(values) > 1 else (np.nan, np.nan)

    return {
        "n_corrected": int(len(corrected)),
        "gold_rise_mean": mean_sd(gold)[0],
        "gold_rise_sd": mean_sd(gold)[1],
        "reference_change_mean": mean_sd(ref)[0],
        "reference_change_sd": mean_sd(ref)[1],
        "reference_final_mean": float(probs[:, -1, reference].mean()) if len(corrected) else np.nan,
    }


def trajectories_for_study(study) -> pd.DataFrame:
    """:func:`layer_trajectories` for every pair whose dataset has a reference class, with LLE's
    validation-selected configuration on test (its candidate layers and distance pick each sample's amateur), and
    its means read from mid depth (hidden state ⌊L/2⌋) instead of the amateur (``mid_depth_*`` columns)."""
    rows = []
    for pair in study.pairs:
        spec = data.DATASETS[pair.dataset]
        if spec.reference_class is None:
            continue
        config = study.selection(pair, "dynamic").config
        log_probs = pair.test.log_probs
        amateurs = lle.select_amateur(log_probs, candidate_layers=config.candidate_layers, distance=config.distance)
        predictions = (lle.classify(log_probs), lle.classify(log_probs, config, allow_interpolation=True))
        reference = spec.label_names.index(spec.reference_class)
        moved = layer_trajectories(log_probs, amateurs, *predictions, pair.test.labels, reference)
        # The same from mid depth, whatever the amateur: a reading that does not start where LLE's line does.
        middle = np.full(len(log_probs), (log_probs.shape[1] - 1) // 2)
        from_middle = layer_trajectories(log_probs, middle, *predictions, pair.test.labels, reference)
        rows.append(
            {
                "model": pair.run,
                "dataset": pair.dataset,
                "reference_class": spec.reference_class,
                **moved,
                **{f"mid_depth_{k}": v for k, v in from_middle.items() if k.endswith("_mean") and "final" not in k},
            }
        )
    return pd.DataFrame(rows)


def changes_for_study(study, *, reference_class: str | None = None, top_n: int = 10) -> dict[str, pd.DataFrame]:
    """For every pair of the study, with LLE's validation-selected configuration on test: ``bias`` (one row per
    pair with a reference class), ``per_class``, ``label_changes`` (top ``top_n`` per pair) and ``polarity``
    (pairs whose dataset has a polarity map). Pairs where LLE changes nothing are kept with zero counts."""
    predicted = []
    for pair in study.pairs:
        config = study.selection(pair, "dynamic").config
        new = lle.classify(pair.test.log_probs, config, allow_interpolation=True)
        predicted.append((pair.run, pair.dataset, config, lle.classify(pair.test.log_probs), new, pair.test.labels))
    return changes_of_predictions(predicted, reference_class=reference_class, top_n=top_n)


def changes_of_predictions(predicted, *, reference_class: str | None = None, top_n: int = 10) -> dict:
    """:func:`changes_for_study` from test predictions alone: ``predicted`` holds (run, dataset, LLE's
    configuration, standard predictions, LLE's predictions, labels) per pair, as a training seed whose scores are
    not kept stores them (:func:`lle.study.analysis.seed_predictions`)."""
    bias, per_class, changes, polarity_rows = [], [], [], []
    for run, dataset, config, standard, new, labels in predicted:
        spec = data.DATASETS[dataset]
        names = spec.label_names
        key = {"model": run, "dataset": dataset}
        reference = reference_class or spec.reference_class
        if reference is not None:
            if reference not in names:
                raise ValueError(f"reference_class {reference!r} is not a label of {dataset}: {list(names)}")
            bias.append(
                {
                    **key,
                    "reference_class": reference,
                    **config.to_row(),
                    **reference_bias(standard, new, labels, names.index(reference)),
                }
            )
        per_class.append(per_class_changes(standard, new, labels, names).assign(**key))
        changes.append(label_changes(standard, new, labels, names, spec.polarity, top_n=top_n).assign(**key))
        if spec.polarity:
            polarity_rows.append({**key, **polarity_statistics(standard, new, labels, names, spec.polarity)})
    return {
        "bias": pd.DataFrame(bias),
        "per_class": pd.concat(per_class, ignore_index=True),
        "label_changes": pd.concat(changes, ignore_index=True),
        "polarity": pd.DataFrame(polarity_rows),
    }


def heatmap_examples(
    pair, config, texts, *, n_examples: int, include_containing: str | None = None, shown_classes: int = 8
) -> dict:
    """Test examples that LLE corrects (the first ``n_examples``, plus any whose text contains
    ``include_containing``), ready for :func:`lle.study.figures.heatmap_figure`: per example the
    probabilities of the final layer's top ``shown_classes`` classes at every layer, a title, and the amateur."""
    from lle.study.figures import display_text

    names = data.DATASETS[pair.dataset].label_names
    log_probs, labels = pair.test.log_probs, pair.test.labels
    if len(texts) != len(labels):
        raise ValueError(
            f"{len(texts)} texts for {len(labels)} cached test scores of ({pair.run}, {pair.dataset}): "
            "pass the test split the scores were computed on"
        )
    standard, new = lle.classify(log_probs), lle.classify(log_probs, config, allow_interpolation=True)
    corrected = np.flatnonzero((standard != new) & (new == labels))[:n_examples].tolist()
    wanted = (
        [i for i, text in enumerate(texts) if include_containing.lower() in text.lower()] if include_containing else []
    )
    chosen = list(dict.fromkeys(wanted + corrected))
    amateurs = (
        lle.select_amateur(log_probs[chosen], candidate_layers=config.candidate_layers, distance=config.distance)
        if chosen
        else []
    )
    result = {"probabilities": [], "titles": [], "class_names": [], "amateurs": list(amateurs), "indices": chosen}
    for i in chosen:
        probs = np.exp(log_probs[i])
        shown = np.argsort(probs[-1])[::-1][:shown_classes]
        result["probabilities"].append(probs[:, shown])
        result["class_names"].append([names[c] for c in shown])
        result["titles"].append(
            f"{display_text(texts[i])}\ngold {names[labels[i]]} · standard {names[standard[i]]} · LLE {names[new[i]]}"
        )
    return result
