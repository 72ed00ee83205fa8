"""Is the standard classifier better than chance? A contrastive method re-ranks a classifier's own scores, so a gain
over a classifier that predicts one class (or no better than guessing) says nothing about the method: such a
classifier's macro-F1 rises whenever the re-ranking spreads its predictions over more classes.

The check reads the final layer's validation predictions, never test, and compares their macro-F1 with the two
predictors that use no input: the best constant prediction (the validation split's majority class) and uniform
random guessing (its expected macro-F1). A classifier within ``CHANCE_MARGIN`` of the better of them, or one
that predicts a single class, is flagged "at chance".

:class:`SoundView` is the one filtered view of the runs: every claim, finding and summary sentence reads its pairs
through it, so prose and registry count the same pairs. Tables and figures keep every pair, with its ``classifier``
column, so the left-out pair stays visible where its numbers are shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lle.method.metrics import classification_metrics
from lle.store.scores import Pair

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
    return {
        "final_layer_validation_f1": f1,
        "chance_validation_f1": chance,
        "predicted_classes": int(len(np.unique(predictions))),
        "classifier": verdict,
    }


def soundness_table(pairs) -> pd.DataFrame:
    """One row per (run, dataset): :func:`classifier_check`."""
    return pd.DataFrame([{"model": pair.run, "dataset": pair.dataset, **classifier_check(pair)} for pair in pairs])


def chance_warning(table: pd.DataFrame) -> str | None:
    """A sentence naming the runs whose standard classifier is at chance (None when every run is sound)."""
    flagged = table[table.classifier == "at chance"].drop_duplicates(["model", "dataset"])
    if flagged.empty:
        return None
    names = "; ".join(
        f"{r.model} / {r.dataset} (final-layer validation macro-F1 {r.final_layer_validation_f1:.3f}, "
        f"chance {r.chance_validation_f1:.3f}, {r.predicted_classes} class"
        f"{'' if r.predicted_classes == 1 else 'es'} predicted)"
        for r in flagged.itertuples()
    )
    return (
        f"Standard classifier at chance for {names}. Differences of LLE or static β over such a classifier are "
        "not evidence for the method: train a sound classifier first (for a head on frozen states a learning "
        "rate near 1e-3; check the training log's validation macro-F1)."
    )


@dataclass(frozen=True)
class SoundView:
    """The (model, dataset) pairs left out of every claim and finding: those whose standard classifier is at chance.
    A table is keyed by its ``model`` (or ``run``) and ``dataset`` columns; None passes through."""

    at_chance: frozenset = frozenset()

    @classmethod
    def of(cls, checked: pd.DataFrame) -> "SoundView":
        """The view of a table holding the check's ``classifier`` column (Table 1, or :func:`soundness_table`)."""
        if "classifier" not in checked:
            raise KeyError(
                "the table has no 'classifier' column (the soundness check): rerun the notebook that "
                "wrote it (Table 1: notebooks/02_table1_main_results.ipynb)"
            )
        flagged = checked[checked.classifier == "at chance"]
        return cls(frozenset(zip(flagged.model, flagged.dataset)))

    def _dropped(self, frame: pd.DataFrame) -> np.ndarray:
        pairs = zip(frame["model" if "model" in frame else "run"], frame.dataset)
        return np.array([pair in self.at_chance for pair in pairs], dtype=bool)

    def keep(self, frame: pd.DataFrame | None) -> pd.DataFrame | None:
        """``frame`` without the rows of pairs at chance."""
        if frame is None or not len(frame) or not self.at_chance:
            return frame
        return frame[~self._dropped(frame)]

    def left_out(self, *frames) -> list[str]:
        """The "model / dataset" names of the pairs :meth:`keep` drops from any of ``frames``."""
        names = set()
        for frame in frames:
            if frame is not None and len(frame) and self.at_chance:
                key = frame["model" if "model" in frame else "run"]
                names |= {f"{m} / {d}" for m, d, out in zip(key, frame.dataset, self._dropped(frame)) if out}
        return sorted(names)

    def note(self, *frames) -> str:
        """The words a claim's evidence ends with when pairs were left out ("" when none were)."""
        left_out = self.left_out(*frames)
        return f"; left out, standard classifier at chance: {', '.join(left_out)}" if left_out else ""

    def sentence(self, *frames) -> str:
        """The sentence a block of findings ends with when pairs were left out ("" when none were)."""
        left_out = self.left_out(*frames)
        if not left_out:
            return ""
        return (
            f"- Left out of these findings and of the claims, as its standard classifier is at chance: "
            f"{', '.join(left_out)} (its rows stay in the tables)."
        )
