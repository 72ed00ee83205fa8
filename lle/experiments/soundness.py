"""Is the standard classifier better than chance? A contrastive method re-ranks a classifier's own scores, so a gain
over a classifier that predicts one class (or no better than guessing) says nothing about the method: such a
classifier's macro-F1 rises whenever the re-ranking spreads its predictions over more classes.

The check reads the final layer's validation predictions, never test, and compares their macro-F1 with the two
predictors that use no input: the best constant prediction (the validation split's majority class) and uniform
random guessing (its expected macro-F1). A classifier within ``CHANCE_MARGIN`` of the better of them, or one
that predicts a single class, is flagged "at chance".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lle.experiments.cache import Pair
from lle.metrics import classification_metrics

CHANCE_MARGIN = 0.05  # macro-F1 above the better input-free predictor that a sound classifier must clear


def majority_macro_f1(labels: np.ndarray, n_classes: int) -> float:
    """Macro-F1 of predicting the most frequent class for every sample."""
    labels = np.asarray(labels)
    majority = np.bincount(labels, minlength=n_classes).argmax()
    return float(classification_metrics(np.full_like(labels, majority), labels, n_classes)["macro_f1"])


def uniform_macro_f1(labels: np.ndarray, n_classes: int) -> float:
    """Expected macro-F1 of guessing uniformly at random: per class, precision = its prevalence p and recall = 1/K,
    so F1 = 2p/(1 + pK); averaged over the classes that occur (random guesses predict every class)."""
    prevalence = np.bincount(np.asarray(labels), minlength=n_classes) / len(labels)
    return float(np.mean(2 * prevalence / (1 + prevalence * n_classes)))


def classifier_check(pair: Pair, *, margin: float = CHANCE_MARGIN) -> dict:
    """The final layer's validation macro-F1 against chance, and the verdict ("sound" or "at chance")."""
    labels = pair.validation.labels
    predictions = pair.validation.log_probs[:, -1].argmax(-1)
    f1 = float(classification_metrics(predictions, labels, pair.n_classes)["macro_f1"])
    chance = max(majority_macro_f1(labels, pair.n_classes), uniform_macro_f1(labels, pair.n_classes))
    single_class = len(np.unique(predictions)) == 1
    verdict = "at chance" if single_class or f1 < chance + margin else "sound"
    return {"final_layer_validation_f1": f1, "chance_validation_f1": chance,
            "predicted_classes": int(len(np.unique(predictions))), "classifier": verdict}


def soundness_table(pairs) -> pd.DataFrame:
    """One row per (run, dataset): :func:`classifier_check`."""
    return pd.DataFrame([{"model": pair.run, "dataset": pair.dataset, **classifier_check(pair)} for pair in pairs])


def chance_warning(table: pd.DataFrame) -> str | None:
    """A sentence naming the runs whose standard classifier is at chance (None when every run is sound)."""
    flagged = table[table.classifier == "at chance"].drop_duplicates(["model", "dataset"])
    if flagged.empty:
        return None
    names = "; ".join(f"{r.model} / {r.dataset} (final-layer validation macro-F1 {r.final_layer_validation_f1:.3f}, "
                      f"chance {r.chance_validation_f1:.3f}, {r.predicted_classes} class"
                      f"{'' if r.predicted_classes == 1 else 'es'} predicted)" for r in flagged.itertuples())
    return (f"Standard classifier at chance for {names}. Differences of LLE or static β over such a classifier are "
            "not evidence for the method: train a sound classifier first (for a head on frozen states a learning "
            "rate near 1e-3; check the training log's validation macro-F1).")
