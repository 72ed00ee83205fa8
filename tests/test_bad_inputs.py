"""Every bad input fails clearly: the exception type, and a message that names the offending argument and the fix.

BAD_INPUTS is the table; the documentation page docs/errors.md ("Errors you may see") is generated from its rows
(run ``python tests/test_bad_inputs.py`` to rewrite that page's table after changing a message). Property tests
check that random valid inputs never raise and random invalid ones never pass silently.
"""

import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import lle
from lle import data, network
from lle.context.stc.feature_cache import FeatureSource
from lle.context.stc.method import ProbeGrid
from lle.context.stc.stage import load_results as load_stc_results
from lle.integrity import CacheMismatchError
from lle.metrics import classification_metrics
from lle.models.features import check_feature_kinds
from lle.models.recipe import Recipe, family_recipe
from lle.publish.notebooks import NotebookFailedError, execute
from lle.store.scores import load_layer_scores, load_pairs, save_layer_scores

sys.path.insert(0, str(Path(__file__).parents[1] / "scripts"))
from run_notebooks import chosen_notebooks  # noqa: E402

from lle.publish.notebooks import notebook_paths  # noqa: E402

RNG = np.random.default_rng(0)
SCORES = RNG.normal(size=(10, 25, 4))  # L = 24
LABELS = np.arange(10) % 4
CANDIDATES = range(16, 24)
ERROR_PAGE = Path(__file__).parents[1] / "docs" / "errors.md"  # the documentation page of every error


def classify(**kwargs):
    return lambda: lle.classify(SCORES, **kwargs)


def scores_with(index, value):
    scores = SCORES.copy()
    scores[index] = value
    return scores


def grid(**kwargs):
    arguments = dict(candidate_sets=[CANDIDATES], betas=[0.5])
    arguments.update(kwargs)
    labels = arguments.pop("labels", LABELS)
    return lambda: lle.evaluate_grid(SCORES, labels, **arguments)


# (id, what the user did, call, exception, regexes the message must match: the argument, then the fix)
BAD_INPUTS = [
    (
        "target-equals-final",
        "classify(..., target_layer=L)",
        classify(candidate_layers=CANDIDATES, target_layer=24),
        ValueError,
        ["target_layer", "allow_interpolation=True"],
    ),
    (
        "target-below-final",
        "classify(..., target_layer=20) with L = 24",
        classify(candidate_layers=CANDIDATES, target_layer=20),
        ValueError,
        ["target_layer", "allow_interpolation=True"],
    ),
    (
        "target-negative",
        "classify(..., target_layer=-5)",
        classify(candidate_layers=CANDIDATES, target_layer=-5),
        ValueError,
        ["target_layer", "allow_interpolation=True"],
    ),
    (
        "alpha-in-standard",
        "classify(scores, alpha=0.5) without beta or target_layer",
        classify(alpha=0.5),
        ValueError,
        ["alpha", "add beta=... .static. or target_layer"],
    ),
    (
        "candidates-in-standard",
        "classify(scores, candidate_layers=...) alone",
        classify(candidate_layers=CANDIDATES),
        ValueError,
        ["candidate_layers", "drop them for standard"],
    ),
    (
        "distance-in-standard",
        "classify(scores, distance='kl') alone",
        classify(distance="kl"),
        ValueError,
        ["distance", "add beta"],
    ),
    (
        "beta-and-target",
        "classify(..., beta=0.5, target_layer=30)",
        classify(candidate_layers=CANDIDATES, beta=0.5, target_layer=30),
        ValueError,
        ["beta", "not both"],
    ),
    (
        "config-and-keywords",
        "classify(scores, config, alpha=0.2)",
        lambda: lle.classify(SCORES, lle.Config("standard"), alpha=0.2),
        TypeError,
        ["config", "put every hyperparameter"],
    ),
    (
        "nan-scores",
        "scores with a NaN",
        lambda: lle.classify(scores_with((0, 3, 1), np.nan)),
        ValueError,
        ["layer_scores", "NaN", "ran correctly"],
    ),
    (
        "posinf-scores",
        "scores with +inf",
        lambda: lle.classify(scores_with((0, 3, 1), np.inf)),
        ValueError,
        ["layer_scores", r"\+inf", "ran correctly"],
    ),
    (
        "all-neginf-row",
        "a layer whose every class is -inf",
        lambda: lle.classify(scores_with((0, 3), -np.inf)),
        ValueError,
        ["layer_scores", "every class is -inf", "at least one class"],
    ),
    (
        "2d-scores",
        "classify on (n_samples, n_classes) scores",
        lambda: lle.classify(SCORES[:, -1]),
        ValueError,
        ["layer_scores", r"scores\[None\]"],
    ),
    (
        "no-samples",
        "classify on zero samples",
        lambda: lle.classify(SCORES[:0]),
        ValueError,
        ["layer_scores", "at least one sample"],
    ),
    (
        "one-class",
        "scores with one class",
        lambda: lle.classify(SCORES[:, :, :1]),
        ValueError,
        ["classes", "at least 2"],
    ),
    ("one-layer", "scores with one layer", lambda: lle.classify(SCORES[:, :1]), ValueError, ["layers", "at least 2"]),
    (
        "complex-scores",
        "complex scores",
        lambda: lle.classify(SCORES.astype(complex)),
        TypeError,
        ["layer_scores", "real"],
    ),
    (
        "string-scores",
        "scores as strings",
        lambda: lle.classify([[["a", "b"], ["c", "d"]]]),
        TypeError,
        ["layer_scores", "pass numbers"],
    ),
    (
        "alpha-list",
        "classify(..., alpha=[0.1, 0.2])",
        classify(candidate_layers=CANDIDATES, beta=0.5, alpha=[0.1, 0.2]),
        ValueError,
        ["alpha", "evaluate_grid"],
    ),
    (
        "alpha-zero",
        "alpha=0",
        classify(candidate_layers=CANDIDATES, beta=0.5, alpha=0.0),
        ValueError,
        ["alpha", r"\(0, 1\]"],
    ),
    (
        "alpha-nan",
        "alpha=nan",
        classify(candidate_layers=CANDIDATES, beta=0.5, alpha=float("nan")),
        ValueError,
        ["alpha", r"\(0, 1\]"],
    ),
    (
        "candidate-final",
        "the final layer among the candidates",
        classify(candidate_layers=[20, 24], beta=0.5),
        ValueError,
        ["candidate layers", "below the final layer"],
    ),
    (
        "candidate-float",
        "candidate_layers=[16.5]",
        classify(candidate_layers=[16.5], beta=0.5),
        TypeError,
        ["candidate_layers", "integers"],
    ),
    (
        "candidate-empty",
        "candidate_layers=[]",
        classify(candidate_layers=[], beta=0.5),
        ValueError,
        ["candidate_layers", "at least one layer"],
    ),
    (
        "final-layer-bool",
        "final_layer=True",
        lambda: lle.classify(SCORES, final_layer=True),
        TypeError,
        ["final_layer", "int"],
    ),
    (
        "final-layer-range",
        "final_layer=25 with 25 layers",
        lambda: lle.classify(SCORES, final_layer=25),
        ValueError,
        ["final_layer", "-1 for the last"],
    ),
    (
        "unknown-distance",
        "distance='euclid'",
        classify(candidate_layers=CANDIDATES, beta=0.5, distance="euclid"),
        ValueError,
        ["distance", "choose one of"],
    ),
    ("beta-nan", "beta=nan", classify(candidate_layers=CANDIDATES, beta=float("nan")), ValueError, ["beta", "finite"]),
    (
        "beta-shape",
        "a beta per class instead of per sample",
        classify(candidate_layers=CANDIDATES, beta=np.ones(4)),
        ValueError,
        ["beta", r"shape \(10,\)"],
    ),
    (
        "amateur-no-candidates",
        "select_amateur without candidate_layers",
        lambda: lle.select_amateur(SCORES, candidate_layers=None),
        ValueError,
        ["candidate_layers", "range"],
    ),
    (
        "contrastive-shapes",
        "contrastive_scores with different shapes",
        lambda: lle.contrastive_scores(np.zeros((2, 3)), np.zeros((2, 4)), beta=1, alpha=0.1),
        ValueError,
        ["amateur_scores", "same shape"],
    ),
    (
        "contrastive-alpha",
        "contrastive_scores(..., alpha=1.5)",
        lambda: lle.contrastive_scores(np.zeros((2, 3)), np.zeros((2, 3)), beta=1, alpha=1.5),
        ValueError,
        ["alpha", r"\(0, 1\]"],
    ),
    (
        "contrastive-3d",
        "contrastive_scores on (n, layers, classes)",
        lambda: lle.contrastive_scores(SCORES, SCORES, beta=1, alpha=0.1),
        ValueError,
        ["final_scores", "n_classes"],
    ),
    (
        "dynamic-beta-interpolates",
        "dynamic_beta(amateur_layer=18, final_layer=24, target_layer=20)",
        lambda: lle.dynamic_beta(amateur_layer=18, final_layer=24, target_layer=20),
        ValueError,
        ["target_layer", "allow_interpolation=True"],
    ),
    (
        "dynamic-beta-amateur-final",
        "dynamic_beta with amateur_layer = final_layer",
        lambda: lle.dynamic_beta(amateur_layer=24, final_layer=24, target_layer=30),
        ValueError,
        ["amateur_layer", "below final_layer"],
    ),
    (
        "dynamic-beta-nan",
        "dynamic_beta with a NaN layer",
        lambda: lle.dynamic_beta(amateur_layer=float("nan"), final_layer=24, target_layer=30),
        ValueError,
        ["amateur_layer", "finite"],
    ),
    (
        "target-layer-negative-beta",
        "target_layer(beta=-0.5, ...)",
        lambda: lle.target_layer(beta=-0.5, amateur_layer=18, final_layer=24),
        ValueError,
        ["beta", "allow_interpolation=True"],
    ),
    (
        "grid-targets",
        "evaluate_grid(target_layers=[10, 24, 30])",
        grid(betas=None, target_layers=[10, 24, 30]),
        ValueError,
        ["target_layer", "allow_interpolation=True"],
    ),
    (
        "grid-float-labels",
        "labels 0.5 and 1.9",
        grid(labels=np.r_[0.5, 1.9, LABELS[2:]]),
        ValueError,
        ["labels", "never rounded"],
    ),
    (
        "grid-label-range",
        "label 9 with 4 classes",
        grid(labels=np.r_[9, LABELS[1:]]),
        ValueError,
        ["labels", "class 9", "4 classes"],
    ),
    ("grid-negative-labels", "label -1", grid(labels=np.r_[-1, LABELS[1:]]), ValueError, ["labels", "0-based"]),
    ("grid-label-count", "3 labels for 10 samples", grid(labels=LABELS[:3]), ValueError, ["labels", "one per sample"]),
    (
        "grid-string-labels",
        "labels as names",
        grid(labels=np.array(["joy"] * 10)),
        TypeError,
        ["labels", "map names to indices"],
    ),
    (
        "grid-no-candidates",
        "evaluate_grid(candidate_sets=[])",
        grid(candidate_sets=[]),
        ValueError,
        ["candidate_sets", "earliest_candidate_sets"],
    ),
    ("grid-empty-betas", "evaluate_grid(betas=[])", grid(betas=[]), ValueError, ["betas", "leave it out"]),
    (
        "grid-no-method",
        "evaluate_grid without betas or target_layers",
        grid(betas=None),
        ValueError,
        ["betas", "target_layers"],
    ),
    ("grid-nan-beta", "evaluate_grid(betas=[nan])", grid(betas=[float("nan")]), ValueError, ["betas", "finite"]),
    (
        "metrics-range",
        "classification_metrics with label 9 and n_classes=4",
        lambda: classification_metrics([0, 1], [9, 1], 4),
        ValueError,
        ["labels", "n_classes"],
    ),
    (
        "metrics-negative",
        "classification_metrics with a label -2",
        lambda: classification_metrics([0, 1], [-2, 1]),
        ValueError,
        ["labels", "0-based"],
    ),
    (
        "metrics-lengths",
        "classification_metrics with 2 predictions and 3 labels",
        lambda: classification_metrics([0, 1], [0, 1, 1]),
        ValueError,
        ["labels", "one label per sample"],
    ),
    (
        "metrics-n-classes",
        "classification_metrics(..., n_classes=0)",
        lambda: classification_metrics([0], [0], 0),
        ValueError,
        ["n_classes", "positive int"],
    ),
    ("config-method", "Config('extrapolate')", lambda: lle.Config("extrapolate"), ValueError, ["method", "standard"]),
    (
        "config-standard-alpha",
        "Config('standard', alpha=0.1)",
        lambda: lle.Config("standard", alpha=0.1),
        ValueError,
        ["alpha", "method='static' or 'dynamic'"],
    ),
    (
        "config-static-no-beta",
        "Config('static', (1,), 0.1) without beta",
        lambda: lle.Config("static", (1,), 0.1),
        ValueError,
        ["needs beta"],
    ),
    (
        "config-dynamic-beta",
        "Config('dynamic', ..., beta=1, target_layer=9)",
        lambda: lle.Config("dynamic", (1,), 0.1, beta=1.0, target_layer=9),
        ValueError,
        ["takes target_layer, not beta"],
    ),
    (
        "parse-layers",
        "parse_layers('a-b')",
        lambda: lle.parse_layers("a-b"),
        ValueError,
        ["candidate layers", "'16-23'"],
    ),
    (
        "describe-no-layers",
        "describe_layers([])",
        lambda: lle.config.describe_layers([]),
        ValueError,
        ["at least one layer"],
    ),
    (
        "per-class-2d",
        "per_class_metrics with a (2, n) prediction array",
        lambda: lle.metrics.per_class_metrics([[0, 1], [1, 0]], [0, 1], 2),
        ValueError,
        ["one prediction vector"],
    ),
    (
        "per-class-lengths",
        "per_class_metrics with 2 predictions and 3 labels",
        lambda: lle.metrics.per_class_metrics([0, 1], [0, 1, 1], 2),
        ValueError,
        ["predictions cover 2 samples"],
    ),
    (
        "per-class-prediction-range",
        "per_class_metrics with prediction 5 and 2 classes",
        lambda: lle.metrics.per_class_metrics([0, 5], [0, 1], 2),
        ValueError,
        ["predictions contain class 5"],
    ),
    (
        "per-class-label-range",
        "per_class_metrics with label 5 and 2 classes",
        lambda: lle.metrics.per_class_metrics([0, 1], [0, 5], 2),
        ValueError,
        ["labels contain class 5"],
    ),
    (
        "metrics-3d",
        "classification_metrics on (2, 2, 2) predictions",
        lambda: classification_metrics(np.zeros((2, 2, 2), dtype=int), [0, 1]),
        ValueError,
        ["predictions must be", "n_rows"],
    ),
    (
        "metrics-prediction-range",
        "classification_metrics with prediction 7 and n_classes=4",
        lambda: classification_metrics([7, 1], [0, 1], 4),
        ValueError,
        ["predictions contain class 7"],
    ),
    (
        "dynamic-beta-text",
        "dynamic_beta(amateur_layer='a', ...)",
        lambda: lle.dynamic_beta(amateur_layer="a", final_layer=24, target_layer=30),
        TypeError,
        ["layer or strength", "pass numbers"],
    ),
    (
        "dynamic-beta-at-final",
        "dynamic_beta(target_layer=final_layer)",
        lambda: lle.dynamic_beta(amateur_layer=10, final_layer=24, target_layer=24),
        ValueError,
        ["target_layer must lie above final_layer", "allow_interpolation=True"],
    ),
    (
        "target-layer-amateur-final",
        "target_layer with amateur_layer = final_layer",
        lambda: lle.target_layer(beta=1.0, amateur_layer=24, final_layer=24),
        ValueError,
        ["amateur_layer", "below"],
    ),
    (
        "target-layer-nan",
        "target_layer(beta=nan, ...)",
        lambda: lle.target_layer(beta=float("nan"), amateur_layer=3, final_layer=24),
        ValueError,
        ["beta", "finite"],
    ),
    (
        "st-coef-minus-one",
        "st_coef_from_beta(-1)",
        lambda: lle.st_coef_from_beta(-1.0),
        ValueError,
        ["beta = -1", "no st_coef"],
    ),
    (
        "beta-from-st-coef-one",
        "beta_from_st_coef(1)",
        lambda: lle.beta_from_st_coef(1.0),
        ValueError,
        ["st_coef = 1", "infinite beta"],
    ),
    (
        "contrastive-empty",
        "contrastive_scores on zero samples",
        lambda: lle.contrastive_scores(np.zeros((0, 3)), np.zeros((0, 3)), beta=1, alpha=0.1),
        ValueError,
        ["final_scores", "at least one row"],
    ),
    (
        "contrastive-beta-shape",
        "contrastive_scores with one beta per class",
        lambda: lle.contrastive_scores(np.zeros((2, 3)), np.zeros((2, 3)), beta=np.ones(3), alpha=0.1),
        ValueError,
        ["beta", r"shape \(2,\)"],
    ),
    (
        "classify-target-nan",
        "classify(..., target_layer=nan)",
        classify(candidate_layers=CANDIDATES, target_layer=float("nan")),
        ValueError,
        ["target_layer", "finite"],
    ),
    (
        "amateur-unknown-distance",
        "select_amateur(..., distance='l2')",
        lambda: lle.select_amateur(SCORES, candidate_layers=CANDIDATES, distance="l2"),
        ValueError,
        ["distance", "choose one of"],
    ),
    (
        "grid-empty-targets",
        "evaluate_grid(target_layers=[])",
        grid(betas=None, target_layers=[]),
        ValueError,
        ["target_layers is empty", "static beta only"],
    ),
    ("grid-empty-alphas", "evaluate_grid(alphas=[])", grid(alphas=[]), ValueError, ["alpha is empty", "0.1"]),
    (
        "config-and-every-keyword",
        "classify(scores, config, candidate_layers=..., beta=..., target_layer=..., distance=...)",
        lambda: lle.classify(
            SCORES, lle.Config("standard"), candidate_layers=[1], beta=1.0, target_layer=30, distance="kl"
        ),
        TypeError,
        ["candidate_layers, beta, target_layer, distance"],
    ),
    (
        "two-options-in-standard",
        "classify(scores, alpha=0.5, distance='kl') alone",
        classify(alpha=0.5, distance="kl"),
        ValueError,
        ["alpha, distance only apply"],
    ),
    (
        "metrics-n-classes-bool",
        "classification_metrics(..., n_classes=True)",
        lambda: classification_metrics([0], [0], True),
        ValueError,
        ["n_classes", "positive int"],
    ),
    (
        "metrics-3d-labels",
        "classification_metrics with (1, 1, 2) labels",
        lambda: classification_metrics([0, 1], np.zeros((1, 1, 2), dtype=int)),
        ValueError,
        ["labels", "n_samples"],
    ),
    (
        "per-layer-label-range",
        "per_layer_metrics with label 5 and 2 classes",
        lambda: lle.metrics.per_layer_metrics(np.zeros((1, 2, 2)), [5]),
        ValueError,
        ["labels contain class 5"],
    ),
    (
        "contrastive-nan-amateur",
        "contrastive_scores with a NaN amateur score",
        lambda: lle.contrastive_scores(np.zeros((1, 2)), np.array([[0.0, np.nan]]), beta=1, alpha=0.1),
        ValueError,
        ["amateur_scores contains 1 NaN"],
    ),
    ("grid-text-betas", "evaluate_grid(betas=['a'])", grid(betas=["a"]), TypeError, ["betas must be a numeric"]),
    (
        "grid-text-targets",
        "evaluate_grid(target_layers=['a'])",
        grid(betas=None, target_layers=["a"]),
        TypeError,
        ["target_layers must be a numeric"],
    ),
    (
        "alpha-text",
        "classify(..., alpha='high')",
        classify(candidate_layers=CANDIDATES, beta=0.5, alpha="high"),
        TypeError,
        ["alpha must be a numeric"],
    ),
    (
        "target-text",
        "classify(..., target_layer='far')",
        classify(candidate_layers=CANDIDATES, target_layer="far"),
        TypeError,
        ["target_layer must be a numeric"],
    ),
    (
        "contrastive-text",
        "contrastive_scores('a', ...)",
        lambda: lle.contrastive_scores("a", np.zeros((1, 2)), beta=1, alpha=0.1),
        TypeError,
        ["final_scores must be a numeric"],
    ),
    (
        "metrics-empty",
        "classification_metrics([], [])",
        lambda: classification_metrics([], []),
        ValueError,
        ["predictions is empty", "one class index per sample"],
    ),
    (
        "many-float-labels",
        "labels 0.5, 1.5, 2.5, 3.5",
        lambda: classification_metrics([0, 0, 0, 0], [0.5, 1.5, 2.5, 3.5]),
        ValueError,
        [r"\[0.5, 1.5, 2.5\]; class"],
    ),
    (
        "nan-labels",
        "a NaN label",
        lambda: classification_metrics([0, 0], [0, np.nan]),
        ValueError,
        ["labels contain NaN or inf", "one integer class index"],
    ),
    (
        "many-bad-targets",
        "six target layers at or below L",
        grid(betas=None, target_layers=[1, 2, 3, 4, 5, 6]),
        ValueError,
        [r"got \[1.0, 2.0, 3.0, 4.0, 5.0\]:"],
    ),
    (
        "target-layer-zero-beta",
        "target_layer(beta=0, ...)",
        lambda: lle.target_layer(beta=0.0, amateur_layer=3, final_layer=24),
        ValueError,
        ["beta must be > 0"],
    ),
    (
        "beta-2d",
        "beta of shape (10, 1)",
        classify(candidate_layers=CANDIDATES, beta=np.ones((10, 1))),
        ValueError,
        ["beta must be a scalar", r"shape \(10, 1\)"],
    ),
    (
        "unknown-dataset",
        "load_dataset('emotions', 'test')",
        lambda: data.load_dataset("emotions", "test"),
        ValueError,
        ["dataset", "choose one of"],
    ),
    (
        "unknown-split",
        "load_dataset('goemotions', 'val')",
        lambda: data.load_dataset("goemotions", "val"),
        ValueError,
        ["split", "call it 'val'"],
    ),
    (
        "unknown-source",
        "load_dataset(..., source='web')",
        lambda: data.load_dataset("goemotions", "test", source="web"),
        ValueError,
        ["source", "'hub'"],
    ),
    (
        "stc-unknown-backbone",
        "FeatureSource('bert', 'goemotions') for STC features",
        lambda: FeatureSource("bert", "goemotions"),
        ValueError,
        ["backbone 'bert'", "add it to"],
    ),
    (
        "stc-eta-above-one",
        "ProbeGrid(etas=(0.1, 2.0))",
        lambda: ProbeGrid(etas=(0.1, 2.0)),
        ValueError,
        ["ProbeGrid.etas", r"in \(0, 1\]"],
    ),
    (
        "stc-no-results",
        "open the STC results before the stage has run",
        lambda: load_stc_results("/nonexistent-results"),
        FileNotFoundError,
        ["no STC results", "compute_stc.py"],
    ),
    (
        "stc-pooling-unknown",
        "layer_features(..., poolings=('cls',))",
        lambda: check_feature_kinds(("hidden",), ("cls",)),
        ValueError,
        ["poolings", "subset of"],
    ),
    # --- the math API: strings, booleans, ragged and layer-major arrays, probabilities, Config fields ---
    (
        "config-layers-text",
        "Config('dynamic', candidate_layers='20', ...)",
        lambda: lle.Config("dynamic", "20", 0.1, target_layer=30),
        TypeError,
        ["candidate_layers", "the text '20'", "parse_layers"],
    ),
    (
        "config-layers-bool",
        "Config(..., candidate_layers=[True])",
        lambda: lle.Config("dynamic", [True], 0.1, target_layer=30),
        TypeError,
        ["candidate_layers must be whole layer indices", "range"],
    ),
    (
        "config-layers-fraction",
        "Config(..., candidate_layers=[16.5])",
        lambda: lle.Config("dynamic", [16.5], 0.1, target_layer=30),
        TypeError,
        ["whole layer indices"],
    ),
    (
        "config-layers-negative",
        "Config(..., candidate_layers=[-1])",
        lambda: lle.Config("dynamic", [-1], 0.1, target_layer=30),
        ValueError,
        ["candidate_layers", ">= 0"],
    ),
    (
        "config-layers-number",
        "Config(..., candidate_layers=20)",
        lambda: lle.Config("dynamic", 20, 0.1, target_layer=30),
        TypeError,
        ["sequence of layer indices", "range"],
    ),
    (
        "config-alpha-text",
        "Config(..., alpha='0.1')",
        lambda: lle.Config("static", (1,), "0.1", beta=1.0),
        TypeError,
        ["alpha must be a number", "0.1"],
    ),
    (
        "config-alpha-range",
        "Config(..., alpha=2)",
        lambda: lle.Config("static", (1,), 2, beta=1.0),
        ValueError,
        ["alpha", r"\(0, 1\]"],
    ),
    (
        "config-beta-bool",
        "Config('static', ..., beta=True)",
        lambda: lle.Config("static", (1,), 0.1, beta=True),
        TypeError,
        ["beta must be a number", "True"],
    ),
    (
        "config-target-nan",
        "Config('dynamic', ..., target_layer=nan)",
        lambda: lle.Config("dynamic", (1,), 0.1, target_layer=float("nan")),
        ValueError,
        ["target_layer", "finite"],
    ),
    (
        "config-distance",
        "Config(..., distance='l2')",
        lambda: lle.Config("static", (1,), 0.1, beta=1.0, distance="l2"),
        ValueError,
        ["distance", "jsd"],
    ),
    (
        "classify-beta-bool",
        "classify(..., beta=True)",
        classify(candidate_layers=CANDIDATES, beta=True),
        TypeError,
        ["beta", "boolean"],
    ),
    (
        "classify-alpha-bool",
        "classify(..., alpha=True)",
        classify(candidate_layers=CANDIDATES, beta=0.5, alpha=True),
        TypeError,
        ["alpha", "boolean"],
    ),
    (
        "classify-target-bool",
        "classify(..., target_layer=True)",
        classify(candidate_layers=CANDIDATES, target_layer=True),
        TypeError,
        ["target_layer", "boolean"],
    ),
    (
        "classify-negative-beta",
        "classify(..., beta=-1) without allow_interpolation",
        classify(candidate_layers=CANDIDATES, beta=-1.0),
        ValueError,
        ["beta must be >= 0", "ranks by the amateur alone", "allow_interpolation=True"],
    ),
    (
        "grid-negative-beta",
        "evaluate_grid(..., betas=[-0.25, 0.5]) without allow_interpolation",
        grid(candidate_sets=[CANDIDATES], betas=[-0.25, 0.5]),
        ValueError,
        ["betas must be >= 0", "allow_interpolation"],
    ),
    (
        "grid-scalar-betas",
        "evaluate_grid(..., betas=0.5)",
        grid(candidate_sets=[CANDIDATES], betas=0.5),
        TypeError,
        ["betas must be a list of numbers", "betas=\\[0.5\\]"],
    ),
    (
        "grid-scalar-targets",
        "evaluate_grid(..., target_layers=30)",
        grid(candidate_sets=[CANDIDATES], target_layers=30),
        TypeError,
        ["target_layers must be a list", "target_layers=\\[30\\]"],
    ),
    (
        "grid-scalar-alphas",
        "evaluate_grid(..., alphas=0.5)",
        grid(candidate_sets=[CANDIDATES], alphas=0.5, betas=[0.5]),
        TypeError,
        ["alphas must be a list", "alphas=\\[0.5\\]"],
    ),
    (
        "grid-flat-candidates",
        "evaluate_grid(..., candidate_sets=range(16, 24))",
        grid(candidate_sets=CANDIDATES, betas=[0.5]),
        TypeError,
        ["a flat list of layers", "candidate_sets=\\[range"],
    ),
    (
        "classify-config-text",
        "classify(scores, 'static')",
        lambda: lle.classify(SCORES, "static"),
        TypeError,
        ["config must be an lle.Config", "lle.Config\\('static'"],
    ),
    (
        "classify-config-dict",
        "classify(scores, {'beta': 0.5})",
        lambda: lle.classify(SCORES, {"beta": 0.5}),
        TypeError,
        ["config must be an lle.Config, got dict"],
    ),
    (
        "classify-nan-where",
        "classify on scores with one NaN",
        lambda: lle.classify(scores_with((3, 5, 1), np.nan), candidate_layers=CANDIDATES, beta=0.5),
        ValueError,
        ["the first at sample 3, layer 5, class 1"],
    ),
    (
        "classify-beta-text",
        "classify(..., beta='strong')",
        classify(candidate_layers=CANDIDATES, beta="strong"),
        TypeError,
        ["beta", "the text 'strong'"],
    ),
    (
        "ragged-scores",
        "classify on a ragged nested list",
        lambda: lle.classify([[[0.0, 1.0], [0.0, 1.0, 2.0]]]),
        ValueError,
        ["ragged", "same layers and classes"],
    ),
    (
        "layer-major-scores",
        "evaluate_grid on (n_layers, n_samples, n_classes) scores",
        lambda: lle.evaluate_grid(SCORES.transpose(1, 0, 2), LABELS, candidate_sets=[[1]], betas=[0.5]),
        ValueError,
        ["layer-major", r"transpose\(1, 0, 2\)"],
    ),
    ("grid-bool-betas", "evaluate_grid(betas=[True])", grid(betas=[True]), TypeError, ["betas", "booleans"]),
    (
        "dynamic-beta-bool",
        "dynamic_beta(amateur_layer=True, ...)",
        lambda: lle.dynamic_beta(amateur_layer=True, final_layer=24, target_layer=30),
        TypeError,
        ["boolean"],
    ),
    (
        "load-pairs-text",
        "load_pairs(runs='r1')",
        lambda: load_pairs(runs="r1"),
        TypeError,
        ["runs must be a list", r"runs=\['r1'\]"],
    ),
    (
        "load-pairs-datasets-text",
        "load_pairs(datasets='goemotions')",
        lambda: load_pairs(datasets="goemotions"),
        TypeError,
        ["datasets must be a list", r"\['goemotions'\]"],
    ),
    # --- recipes: every training setting in range ---
    (
        "recipe-epochs-negative",
        "Recipe(..., epochs=-1)",
        lambda: Recipe("m", "d", epochs=-1),
        ValueError,
        ["epochs must be a whole number >= 1", "mode='zeroshot'"],
    ),
    (
        "recipe-epochs-zero",
        "Recipe(..., epochs=0) for fine-tuning",
        lambda: Recipe("m", "d", epochs=0),
        ValueError,
        ["epochs", ">= 1"],
    ),
    (
        "recipe-epochs-bool",
        "Recipe(..., epochs=True)",
        lambda: Recipe("m", "d", epochs=True),
        ValueError,
        ["epochs", "True"],
    ),
    (
        "recipe-batch-zero",
        "Recipe(..., batch_size=0)",
        lambda: Recipe("m", "d", batch_size=0),
        ValueError,
        ["batch_size", ">= 1"],
    ),
    (
        "recipe-rate-nan",
        "Recipe(..., learning_rate=nan)",
        lambda: Recipe("m", "d", learning_rate=float("nan")),
        ValueError,
        ["learning_rate", "finite", "1e-3"],
    ),
    (
        "recipe-rate-negative",
        "Recipe(..., learning_rate=-1e-3)",
        lambda: Recipe("m", "d", learning_rate=-1e-3),
        ValueError,
        ["learning_rate", "> 0"],
    ),
    (
        "recipe-samples-zero",
        "Recipe(..., max_train_samples=0)",
        lambda: Recipe("m", "d", max_train_samples=0),
        ValueError,
        ["max_train_samples", ">= 1", "None"],
    ),
    ("recipe-seed-negative", "Recipe(..., seed=-1)", lambda: Recipe("m", "d", seed=-1), ValueError, ["seed", ">= 0"]),
    (
        "recipe-length-zero",
        "Recipe(..., max_length=0)",
        lambda: Recipe("m", "d", max_length=0),
        ValueError,
        ["max_length", ">= 1"],
    ),
    (
        "recipe-mode",
        "family_recipe(..., mode='head')",
        lambda: family_recipe("m", "d", mode="head"),
        ValueError,
        ["mode must be", "'frozen'"],
    ),
    # --- datasets of your own, as objects ---
    (
        "file-dataset-same-columns",
        "FileDataset(..., text_column='label')",
        lambda: data.FileDataset("d", {}, text_column="label"),
        ValueError,
        ["both 'label'", "two different"],
    ),
    (
        "file-dataset-unknown-split",
        "FileDataset with a 'dev' file",
        lambda: data.FileDataset("d", {"dev": "x.csv"}),
        ValueError,
        ["unknown splits", "'validation'"],
    ),
    (
        "file-dataset-missing-split",
        "FileDataset without a test file",
        lambda: data.FileDataset("d", {"train": "a.csv", "validation": "b.csv"}),
        ValueError,
        ["needs a file for every split", "'test'"],
    ),
    (
        "file-dataset-empty-column",
        "FileDataset(..., text_column='')",
        lambda: data.FileDataset("d", {}, text_column=""),
        ValueError,
        ["text_column must be a column name"],
    ),
    (
        "notebook-runner-only-empty",
        "scripts/run_notebooks.py --only (no prefix)",
        lambda: chosen_notebooks([], notebook_paths()),
        SystemExit,
        ["--only needs at least one", "leave --only out"],
    ),
    (
        "notebook-runner-only-unmatched",
        "scripts/run_notebooks.py --only 99",
        lambda: chosen_notebooks(["99"], notebook_paths()),
        SystemExit,
        ["--only 99 matches no notebook", "00_theory"],
    ),
]

# Cases that need files or the environment: (id, what the user did, exception, regexes); the call is a fixture.
FILE_CASES = [
    (
        "data-dir-env-missing",
        "LLE_DATA_DIR set to a folder that does not exist",
        FileNotFoundError,
        ["LLE_DATA_DIR", "unset it"],
    ),
    (
        "data-dir-argument-missing",
        "data_dir= a folder that does not exist",
        FileNotFoundError,
        ["data_dir", "leave data_dir out"],
    ),
    ("truncated-data-file", "a truncated CSV under LLE_DATA_DIR", ValueError, ["checksum", "replace it in /"]),
    (
        "offline-no-data",
        "no data directory, offline, source='auto'",
        FileNotFoundError,
        ["Hugging Face Hub cannot be reached", "LLE_DATA_DIR"],
    ),
    (
        "corrupt-sidecar",
        "a score file's sidecar that is not JSON",
        CacheMismatchError,
        ["sidecar", "lle run", "recomputes a run whose files are missing"],
    ),
    (
        "truncated-scores",
        "a truncated score file",
        CacheMismatchError,
        ["checksum", "lle run", "recomputes a run whose files are missing"],
    ),
    (
        "missing-scores",
        "a deleted score file",
        FileNotFoundError,
        ["missing", "lle run", "recomputes a run whose files are missing"],
    ),
    (
        "missing-split",
        "load_pairs on a run whose test split was deleted",
        FileNotFoundError,
        ["is requested", "lle run", "recomputes a run whose files are missing"],
    ),
    (
        "notebook-parameter",
        "a parameter the notebook does not declare",
        ValueError,
        ["no parameters \\['y'\\]", "its parameters: x = 1"],
    ),
    (
        "notebook-parameter-type",
        "a float where the notebook's parameter is a whole number",
        TypeError,
        ["parameter x = 2.5 \\(float\\), but it takes a int like its default 1"],
    ),
    (
        "notebook-fails",
        "a notebook whose cell raises",
        NotebookFailedError,
        [r"failed in the cell shown as In \[3\]", "left as it was"],
    ),
]


# --- your own data files: (id, what the user did, files, exception, regexes) --------------------------------------
# ``files`` maps split -> file content (str or bytes) or (suffix, content); splits not given get GOOD[split].
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


DATA_FILE_CASES = [
    (
        "csv-unmatched-quote",
        "a CSV text with an unmatched quote",
        {"test": 'text,label\n"i am so happy text,happy\n' + ROWS},
        ValueError,
        ["line 2", "quote"],
    ),
    (
        "labels-case",
        "labels 'joy' and 'Joy'",
        {"train": GOOD["train"] + "i am glad,Happy\n"},
        ValueError,
        ["'Happy' / 'happy'", "differ only by case or spaces", "write each class one way"],
    ),
    (
        "labels-space",
        "labels 'sad' and 'sad '",
        {"train": GOOD["train"] + "i am glad,sad \n"},
        ValueError,
        ["'sad' / 'sad '", "differ only by case or spaces"],
    ),
    (
        "test-label-case",
        "a test label 'Sad' where train writes 'sad'",
        {"test": GOOD["test"] + "so sad,Sad\n"},
        ValueError,
        ["'Sad' \\(train writes 'sad'\\)", "same way in every split"],
    ),
    (
        "trailing-empty-rows",
        "trailing rows of empty fields",
        {"train": GOOD["train"] + ",\n,\n"},
        ValueError,
        ["every field empty on line\\(s\\) 14, 15", "delete those rows"],
    ),
    (
        "one-class",
        "a training split with one class",
        {"train": "text,label\n" + "i am so happy,happy\n" * 5},
        ValueError,
        ["one class \\('happy'\\)", "at least two", "--label-column"],
    ),
    (
        "one-based-labels",
        "integer labels 1..3",
        {
            s: "text,label\n" + ROWS.replace("happy\n", "1\n").replace("sad\n", "2\n").replace("angry\n", "3\n")
            for s in ("train", "validation", "test")
        },
        ValueError,
        ["run 1..3", "class 0 would have no example", "subtract 1"],
    ),
    (
        "negative-labels",
        "an integer label -1",
        {"train": "text,label\n" + "a,0\nb,1\nc,-1\n"},
        ValueError,
        ["label -1 is negative", "0..K-1"],
    ),
    (
        "mixed-labels",
        "labels mixing numbers and names",
        {"train": GOOD["train"] + "so glad,4\n"},
        ValueError,
        ["mix numbers", "every label as a class name"],
    ),
    (
        "fraction-labels",
        "labels written 0.0, 1.0",
        {"train": "text,label\n" + "a,0.0\nb,1.0\n" * 3},
        ValueError,
        ["fractions", "whole numbers"],
    ),
    (
        "empty-label",
        "a row with a text and no label",
        {"validation": GOOD["validation"] + "i am so sad,\n"},
        ValueError,
        ["line 14", "label column 'label' is empty", "give every row a label"],
    ),
    (
        "empty-text",
        "a row with a label and no text",
        {"train": GOOD["train"] + ",sad\n"},
        ValueError,
        ["text column 'text' is empty on line\\(s\\) 14", "give every row a text"],
    ),
    (
        "latin1-file",
        "a file saved as Latin-1",
        {"train": "text,label\n".encode() + "caf\xe9 so happy,happy\n".encode("latin-1") + ROWS.encode()},
        ValueError,
        ["not UTF-8", "line 2", "iconv"],
    ),
    (
        "nul-bytes",
        "UTF-16 without a byte-order mark",
        {"train": GOOD["train"].encode("utf-16-le")},
        ValueError,
        ["NUL byte", "save it as UTF-8"],
    ),
    (
        "csv-with-tabs",
        "a tab-separated file named .csv",
        {"train": "text\tlabel\n" + TSV_ROWS},
        ValueError,
        ["has no commas", "separated by tabs", "rename it to .tsv"],
    ),
    (
        "tsv-with-commas",
        "a comma-separated file named .tsv",
        {"train": (".tsv", GOOD["train"])},
        ValueError,
        ["has no tabs", "separated by commas", "rename it to .csv"],
    ),
    (
        "semicolons",
        "a spreadsheet export separated by semicolons",
        {"train": GOOD["train"].replace(",", ";")},
        ValueError,
        ["semicolons", "re-save it with commas"],
    ),
    (
        "extra-field",
        "a row with an unquoted comma in its text",
        {"train": GOOD["train"] + "well, i am sad,sad\n"},
        ValueError,
        ["line 14: 3 fields", "header has 2", "quote fields"],
    ),
    (
        "duplicate-header",
        "a header naming a column twice",
        {"train": "text,label,text\n" + "a,happy,b\nc,sad,d\n"},
        ValueError,
        ["more than once", "\\['text'\\]"],
    ),
    (
        "header-spaces",
        "a header 'text ,label'",
        {"train": "text ,label\n" + ROWS},
        ValueError,
        ["no column \\['text'\\]", "'text' is written 'text '", "fix the header"],
    ),
    (
        "jsonl-not-object",
        "a JSON Lines row that is a list",
        {"train": (".jsonl", '{"text": "a", "label": "x"}\n["so sad", "sad"]\n')},
        ValueError,
        ["line 2 is a JSON list, not an object"],
    ),
    (
        "json-array",
        "a .json file holding one JSON array",
        {"train": (".json", '[{"text": "a", "label": "x"}]')},
        ValueError,
        ["one JSON array, not JSON Lines", "lines=True"],
    ),
    (
        "jsonl-bad-json",
        "a JSON Lines file with a broken line",
        {"train": (".jsonl", '{"text": "a", "label": "x"}\n{"text": "b", label}\n')},
        ValueError,
        ["line 2 is not JSON", "one JSON object per line"],
    ),
    (
        "jsonl-multilabel",
        "a JSON Lines label that is a list",
        {"train": (".jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": ["x", "y"]}\n')},
        ValueError,
        ["line 2", "not a class", "multi-label"],
    ),
    (
        "jsonl-null-label",
        "a JSON Lines label that is null",
        {"train": (".jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": null}\n')},
        ValueError,
        ["line 2: the label is missing", "give every row a label"],
    ),
    (
        "jsonl-fraction-label",
        "a JSON Lines label 1.5",
        {"train": (".jsonl", '{"text": "a", "label": 0}\n{"text": "b", "label": 1.5}\n')},
        ValueError,
        ["line 2: the label 1.5 is not a class", "whole number"],
    ),
    (
        "jsonl-null-text",
        "a JSON Lines text that is null",
        {"train": (".jsonl", '{"text": "a", "label": "x"}\n\n{"text": null, "label": "y"}\n')},
        ValueError,
        ["holds no text on line\\(s\\) 3"],
    ),
    (
        "swapped-columns",
        "text and label columns swapped",
        {
            "columns": {"text_column": "label", "label_column": "text"},
            **{
                s: "text,label\n" + "".join(f"text {i},{w}\n" for i, w in enumerate(["happy", "sad"] * 15))
                for s in ("train", "validation", "test")
            },
        },
        ValueError,
        ["30 different values in 30 rows", "swapped"],
    ),
    (
        "split-is-folder",
        "a folder passed as the test file",
        {"test": None},
        FileNotFoundError,
        ["is a folder", "pass the path of the test split"],
    ),
    ("empty-file", "an empty train file", {"train": ""}, ValueError, ["is empty", "write a header line"]),
    (
        "header-only",
        "a file with a header and no rows",
        {"validation": "text,label\n"},
        ValueError,
        ["has no rows", "at least one example"],
    ),
    ("unknown-extension", "a .xlsx file", {"train": (".xlsx", "PK")}, ValueError, ["unknown format", "CSV UTF-8"]),
    (
        "wrong-label-column",
        "a label column that does not exist",
        {"train": GOOD["train"].replace("label", "emotion")},
        ValueError,
        ["no column \\['label'\\]", "--label-column"],
    ),
]


@pytest.mark.parametrize("case_id, what, files, error, patterns", DATA_FILE_CASES, ids=[c[0] for c in DATA_FILE_CASES])
def test_bad_data_file_fails_clearly(tmp_path, case_id, what, files, error, patterns):
    files = dict(files)
    columns = files.pop("columns", {})
    if files.get("test", "") is None:
        (tmp_path / "folder.csv").mkdir()
        files.pop("test")
        paths = {split: own_dataset(tmp_path, files).files[split] for split in ("train", "validation")}
        call = lambda: data.FileDataset("mine", {**paths, "test": tmp_path / "folder.csv"})  # noqa: E731
    else:
        call = lambda: own_dataset(tmp_path, files, **columns).validate()  # noqa: E731
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    for pattern in patterns:
        assert re.search(pattern, message), f"{case_id}: {pattern!r} not in {message}"
    assert str(tmp_path) in message, f"{case_id}: the message does not name the file: {message}"


@pytest.mark.parametrize(
    "kind, text, expected",
    [
        # TSV has no quoting of its own: a quote is a literal character, even one that opens a field.
        (
            "tsv",
            "text\tlabel\n" + '"i am so sad\tsad\n' + 'so "happy" text\thappy\n' + "fine\tsad\n",
            ['"i am so sad', 'so "happy" text', "fine"],
        ),
        ("tsv", "text\tlabel\n" + '"i am so sad\tsad\n' + 'so happy"\thappy\n', ['"i am so sad', 'so happy"']),
        # RFC 4180: a quoted field may hold line breaks, blank lines and the delimiter.
        (
            "csv",
            'text,label\n"first line\n\nsecond, with a comma",sad\n"she said ""hi""",happy\n',
            ["first line\n\nsecond, with a comma", 'she said "hi"'],
        ),
    ],
)
def test_valid_standard_files_are_read_as_written(tmp_path, kind, text, expected):
    from lle.data.files import read_delimited

    path = tmp_path / f"data.{kind}"
    path.write_text(text)
    assert read_delimited(path, kind).text.tolist() == expected


def test_a_few_shot_label_set_is_accepted_with_a_warning_and_padded_indices_are_one_class(tmp_path):
    few = "text,label\n" + "".join(f"a text about topic {i} here,topic{i}\n" for i in range(24))
    dataset = own_dataset(tmp_path, {"train": few, "validation": few, "test": few})
    warnings = dataset.validate()
    assert len(dataset.label_names) == 24 and any("a few-shot set" in w for w in warnings)
    padded = "text,label\n" + "".join(f"text {i}, {i % 2}\n" for i in range(10))  # " 0" and " 1" everywhere
    (tmp_path / "padded").mkdir()
    dataset = own_dataset(tmp_path / "padded", {"train": padded, "validation": padded, "test": padded})
    assert dataset.label_names == ("0", "1") and dataset.texts_and_labels("test")[1].tolist() == [0, 1] * 5


def test_a_stray_nul_byte_in_utf8_text_is_named_as_such(tmp_path):
    from lle.data.files import DataFileError, decode_text

    path = tmp_path / "train.csv"
    path.write_bytes(b"text,label\nso happy,happy\nso\x00 sad,sad\n" + b"fine,happy\n" * 20)
    with pytest.raises(DataFileError, match=r"holds 1 NUL byte\(s\) \(the first on line 3\) in otherwise UTF-8 text"):
        decode_text(path)


def test_utf8_and_utf16_byte_order_marks_are_read():
    import tempfile

    for encoding in ("utf-8-sig", "utf-16"):
        with tempfile.TemporaryDirectory() as folder:
            dataset = own_dataset(Path(folder), {"train": GOOD["train"].encode(encoding)})
            assert not [w for w in dataset.validate() if "train.csv" in w and "occur" not in w]
            assert dataset.label_names == ("angry", "happy", "sad")
            assert dataset.texts_and_labels("train")[0][0] == "i am so happy text"


def test_quoted_multiline_texts_and_quoted_delimiters_are_kept(tmp_path):
    """A legal quoted field may hold the delimiter and a line break; it is one text, never rows merged."""
    train = GOOD["train"] + '"i am, so happy\nand glad",happy\n'
    texts, labels = own_dataset(tmp_path, {"train": train}).texts_and_labels("train")
    assert len(texts) == 13 and texts[-1] == "i am, so happy\nand glad" and labels[-1] == 1


def test_a_class_missing_from_train_is_a_warning(tmp_path):
    rows = "text,label\n" + "a,0\nb,2\nc,0\nd,2\n"
    dataset = own_dataset(tmp_path, {split: rows for split in ("train", "validation", "test")})
    warnings = dataset.validate()
    assert "classes [1] have no training example" in warnings[0] and dataset.label_names == ("0", "1", "2")
    assert [w for w in warnings[1:] if "also occur in the training split" in w] == warnings[1:]


def test_leakage_conflicting_labels_and_boolean_labels_are_reported(tmp_path):
    train = "text,label\n" + "".join(f"text {i},{'yes' if i % 2 else 'no'}\n" for i in range(10)) + "text 1,no\n"
    test = "text,label\n" + "text 3,yes\nnew text,no\n"
    warnings = own_dataset(tmp_path, {"train": train, "validation": test, "test": test}).validate()
    assert any("test.csv: 1 of its 2 texts also occur in the training split" in w for w in warnings)
    assert any("train.csv: 1 texts occur with different labels" in w for w in warnings)
    jsonl = "".join(f'{{"text": "t{i}", "label": {"true" if i % 2 else "false"}}}\n' for i in range(6))
    dataset = own_dataset(
        tmp_path / "b" if (tmp_path / "b").mkdir() is None else None,
        {s: (".jsonl", jsonl) for s in ("train", "validation", "test")},
    )
    assert dataset.label_names == ("false", "true")


# --- lle run / lle evaluate: (id, what the user did, argv builder, regexes the error must match) -----------------
# Each builder gets (files, out, tmp_path) and returns the argv; nothing may be written on refusal.


def run_argv(files, out, *extra, model="tiny-bert"):
    return [
        "run",
        "--model",
        model,
        "--train",
        str(files["train"]),
        "--validation",
        str(files["validation"]),
        "--test",
        str(files["test"]),
        "--out",
        str(out),
        *extra,
    ]


def _project_folder(tmp_path):
    project = tmp_path / "project"
    (project / "results" / "tables").mkdir(parents=True)
    (project / "results" / "tables" / "comparison.csv").write_text("mine\n")
    return project


def _folder_with_file(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    return folder


CLI_CASES = [
    (
        "cli-epochs-negative",
        "lle run --epochs -1",
        lambda f, o, t: run_argv(f, o, "--epochs", "-1"),
        ["argument --epochs", ">= 1"],
    ),
    (
        "cli-epochs-zero",
        "lle run --epochs 0",
        lambda f, o, t: run_argv(f, o, "--epochs", "0"),
        ["argument --epochs", ">= 1"],
    ),
    (
        "cli-batch-zero",
        "lle run --batch-size 0",
        lambda f, o, t: run_argv(f, o, "--batch-size", "0"),
        ["argument --batch-size", ">= 1"],
    ),
    (
        "cli-rate-nan",
        "lle run --learning-rate nan",
        lambda f, o, t: run_argv(f, o, "--learning-rate", "nan"),
        ["argument --learning-rate", "finite number > 0"],
    ),
    (
        "cli-rate-negative",
        "lle run --learning-rate -1e-3",
        lambda f, o, t: run_argv(f, o, "--learning-rate=-1e-3"),
        ["argument --learning-rate", "> 0"],
    ),
    (
        "cli-samples-zero",
        "lle run --max-train-samples 0",
        lambda f, o, t: run_argv(f, o, "--max-train-samples", "0"),
        ["argument --max-train-samples", ">= 1"],
    ),
    (
        "cli-length-zero",
        "lle run --max-length 0",
        lambda f, o, t: run_argv(f, o, "--max-length", "0"),
        ["argument --max-length", ">= 1"],
    ),
    (
        "cli-seed-negative",
        "lle run --seed -1",
        lambda f, o, t: run_argv(f, o, "--seed=-1"),
        ["argument --seed", ">= 0"],
    ),
    (
        "cli-device-name",
        "lle run --device gpu",
        lambda f, o, t: run_argv(f, o, "--device", "gpu"),
        ["argument --device", "cuda:N"],
    ),
    (
        "cli-device-cuda",
        "lle run --device cuda without a GPU",
        lambda f, o, t: run_argv(f, o, "--device", "cuda"),
        ["--device cuda", "no CUDA device", "'cpu'"],
    ),
    (
        "cli-fp16-cpu",
        "lle run --precision fp16 on the CPU",
        lambda f, o, t: run_argv(f, o, "--device", "cpu", "--precision", "fp16"),
        ["--precision fp16", "needs a GPU"],
    ),
    (
        "cli-out-file",
        "lle run --out pointing at a file",
        lambda f, o, t: run_argv(f, f["train"]),
        ["--out .*train.csv is a file", "pass a folder"],
    ),
    (
        "cli-out-foreign",
        "lle run --out an existing folder of someone else's files",
        lambda f, o, t: run_argv(f, _project_folder(t)),
        ["files that lle did not write", "results", "choose another folder"],
    ),
    (
        "cli-out-under-file",
        "lle run --out a path below a file",
        lambda f, o, t: run_argv(f, f["train"] / "out"),
        ["lies under", "which is a file"],
    ),
    (
        "cli-dataset-slash",
        "lle run --dataset a/b",
        lambda f, o, t: run_argv(f, o, "--dataset", "a/b"),
        ["argument --dataset", "letters, digits"],
    ),
    (
        "cli-dataset-paper",
        "lle run --dataset goemotions",
        lambda f, o, t: run_argv(f, o, "--dataset", "goemotions"),
        ["--dataset goemotions", "paper's datasets", "--dataset my-goemotions"],
    ),
    (
        "cli-dataset-folder-name",
        "lle run on files in a folder named goemotions, without --dataset",
        lambda f, o, t: run_argv({**f, "train": _in_folder(f["train"], t / "goemotions")}, o),
        ["the train file's folder name 'goemotions'", "--dataset my-goemotions"],
    ),
    (
        "cli-name-space",
        "lle run --name 'my run'",
        lambda f, o, t: run_argv(f, o, "--name", "my run"),
        ["argument --name", "letters, digits"],
    ),
    (
        "cli-same-columns",
        "lle run --text-column label",
        lambda f, o, t: run_argv(f, o, "--text-column", "label"),
        ["both 'label'", "--text-column, --label-column"],
    ),
    (
        "cli-zeroshot-epochs",
        "lle run --mode zeroshot --epochs 2",
        lambda f, o, t: run_argv(f, o, "--mode", "zeroshot", "--epochs", "2"),
        ["--epochs 2 with --mode zeroshot", "drop --epochs"],
    ),
    (
        "cli-zeroshot-samples",
        "lle run --mode zeroshot --max-train-samples 10",
        lambda f, o, t: run_argv(f, o, "--mode", "zeroshot", "--max-train-samples", "10"),
        ["--max-train-samples with --mode zeroshot"],
    ),
    (
        "cli-model-missing-path",
        "lle run --model ./no-such-model",
        lambda f, o, t: run_argv(f, o, model="./no-such-model"),
        ["--model ./no-such-model does not exist", "config.json"],
    ),
    (
        "cli-model-file",
        "lle run --model pointing at a weights file",
        lambda f, o, t: run_argv(f, o, model=str(f["train"])),
        ["is a file", "save_pretrained"],
    ),
    (
        "cli-model-not-an-id",
        "lle run --model 'my model!'",
        lambda f, o, t: run_argv(f, o, model="my model!"),
        ["neither a folder nor a Hub id"],
    ),
    (
        "cli-bad-data",
        "lle run on a train file with one class",
        lambda f, o, t: run_argv({**f, "train": _one_class(t)}, o),
        ["one class", "--label-column"],
    ),
    (
        "cli-length-above-limit",
        "lle run --max-length 4096 for a model of 128 positions",
        lambda f, o, t: run_argv(f, o, "--max-length", "4096"),
        ["--max-length 4096 is above the model's limit of 128"],
    ),
    (
        "cli-evaluate-missing",
        "lle evaluate on a folder that does not exist",
        lambda f, o, t: ["evaluate", str(t / "nowhere")],
        ["does not exist", "--out folder of an lle run"],
    ),
    (
        "cli-evaluate-file",
        "lle evaluate on a file",
        lambda f, o, t: ["evaluate", str(f["train"])],
        ["is a file", "--out folder of an lle run"],
    ),
    (
        "cli-evaluate-foreign",
        "lle evaluate on a folder lle did not make",
        lambda f, o, t: ["evaluate", str(_folder_with_file(t, "other"))],
        ["not made by lle run", ".lle-output.json"],
    ),
    (
        "cli-evaluate-empty",
        "lle evaluate before any lle run finished",
        lambda f, o, t: ["evaluate", str(_claimed(t))],
        ["no per-layer scores yet", "lle run ... --out"],
    ),
    (
        "cli-verify-nothing",
        "lle verify with no run, folder or --all",
        lambda f, o, t: ["verify"],
        ["RUN DATASET, or DIR", "--all"],
    ),
    (
        "cli-verify-all-and-run",
        "lle verify --all with a run",
        lambda f, o, t: ["verify", "--all", "x"],
        ["takes no RUN DATASET or DIR"],
    ),
    (
        "cli-verify-missing-folder",
        "lle verify on a folder that does not exist",
        lambda f, o, t: ["verify", str(t / "nowhere")],
        ["does not exist", "--out folder of an lle run"],
    ),
    (
        "cli-verify-unknown-run",
        "lle verify on a run that is not cached",
        lambda f, o, t: ["verify", "nope", "tweet_hate"],
        ["no cached run nope / tweet_hate", "cached: ", "--out folder of an lle run"],
    ),
    (
        "cli-evaluate-resamples",
        "lle evaluate --n-resamples 0",
        lambda f, o, t: ["evaluate", str(t), "--n-resamples", "0"],
        ["argument --n-resamples", ">= 1"],
    ),
]


def _in_folder(path, folder):
    folder.mkdir()
    copy = folder / path.name
    copy.write_text(path.read_text())
    return copy


def _one_class(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("text,label\n" + "i am so happy,happy\n" * 6)
    return path


def _claimed(tmp_path):
    from lle.store.outputs import claim_output_folder

    return claim_output_folder(tmp_path / "claimed")


def call_cli(argv, capsys) -> tuple[int, str]:
    from lle import cli

    try:
        code = cli.main(argv)
    except SystemExit as exit:  # argparse refuses before main's handler
        code = exit.code
    return code, capsys.readouterr().err


@pytest.fixture
def cli_files(tiny_pipeline, monkeypatch):
    import tiny_models

    from lle.models import resolve
    from lle.runs import pipeline

    def tokenizer(model_id):
        loaded = tiny_models.tiny_tokenizer()
        loaded.model_max_length = 128  # the tiny encoder's positions
        return loaded

    monkeypatch.setattr(pipeline, "load_tokenizer", tokenizer)
    monkeypatch.setattr(resolve, "load_tokenizer", tokenizer)  # what tokenizer_with_padding calls
    files = {}
    for split in ("train", "validation", "test"):
        files[split] = tiny_pipeline / f"{split}.csv"
        files[split].write_text(GOOD[split])
    return files


@pytest.mark.parametrize("case_id, what, argv, patterns", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_bad_command_line_fails_clearly_and_writes_nothing(cli_files, tmp_path, capsys, case_id, what, argv, patterns):
    arguments = argv(cli_files, tmp_path / "out", tmp_path)  # builds what the case needs first
    before = sorted(p for p in tmp_path.rglob("*") if "cache" not in p.parts)
    code, err = call_cli(arguments, capsys)
    assert code == 2, f"{case_id}: exit {code}, stderr {err}"
    for pattern in patterns:
        assert re.search(pattern, err), f"{case_id}: {pattern!r} not in {err}"
    after = sorted(p for p in tmp_path.rglob("*") if "cache" not in p.parts)
    assert after == before and not (tmp_path / "out").exists(), (
        f"{case_id}: a refused run wrote {set(after) - set(before)}"
    )
    project = tmp_path / "project" / "results" / "tables" / "comparison.csv"
    assert not project.exists() or project.read_text() == "mine\n"


def test_the_table_is_long_enough():
    assert len(BAD_INPUTS) + len(FILE_CASES) >= 40
    assert len({case[0] for case in BAD_INPUTS + FILE_CASES}) == len(BAD_INPUTS) + len(FILE_CASES)


@pytest.mark.parametrize("case_id, what, call, error, patterns", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_fails_clearly(case_id, what, call, error, patterns):
    with pytest.raises(error) as raised:
        call()
    for pattern in patterns:
        assert re.search(pattern, str(raised.value)), f"{case_id}: {pattern!r} not in {raised.value}"


@pytest.fixture
def file_case(request, tmp_path, monkeypatch):
    """Sets up one FILE_CASES row and returns the call that must fail."""
    case_id = request.param
    monkeypatch.delenv("LLE_DATA_DIR", raising=False)
    if case_id == "data-dir-env-missing":
        monkeypatch.setenv("LLE_DATA_DIR", str(tmp_path / "nowhere"))
        return lambda: data.load_dataset("tweet_hate", "test")
    if case_id == "data-dir-argument-missing":
        return lambda: data.load_dataset("tweet_hate", "test", data_dir=tmp_path / "nowhere")
    if case_id == "truncated-data-file":
        target = tmp_path / "lle-paper" / "tweet_hate_test.csv"
        target.parent.mkdir()
        target.write_text("text,label\nhello,1\n")
        monkeypatch.setenv("LLE_DATA_DIR", str(tmp_path))
        return lambda: data.load_dataset("tweet_hate", "test")
    if case_id == "offline-no-data":
        monkeypatch.setenv("HF_HUB_OFFLINE", "0")
        monkeypatch.setattr(network, "hub_reachable", lambda: False)  # never contact the Hub from a test
        (tmp_path / "empty").mkdir()
        return lambda: data.load_dataset("tweet_hate", "test", data_dir=tmp_path / "empty")
    path = tmp_path / "layer_scores" / "run" / "tweet_hate_test.npz"
    save_layer_scores(path, np.zeros((3, 2, 2)), np.zeros(3), {"run": "run", "dataset": "tweet_hate", "split": "test"})
    save_layer_scores(
        path.with_name("tweet_hate_validation.npz"),
        np.zeros((3, 2, 2)),
        np.zeros(3),
        {"run": "run", "dataset": "tweet_hate", "split": "validation"},
    )
    if case_id == "corrupt-sidecar":
        path.with_suffix(".json").write_text("{not json")
        return lambda: load_layer_scores(path)
    if case_id == "truncated-scores":
        path.write_bytes(path.read_bytes()[:-8])
        return lambda: load_layer_scores(path)
    if case_id == "missing-scores":
        path.unlink()
        return lambda: load_layer_scores(path)
    if case_id == "missing-split":
        path.unlink()
        return lambda: load_pairs(runs=["run"], datasets=["tweet_hate"], results_root=tmp_path)
    notebook = tmp_path / "nb.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(
            cells=[
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("raise RuntimeError('boom')"),
            ],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        ),
        notebook,
    )
    if case_id == "notebook-parameter":
        return lambda: execute(notebook, notebook, {"y": 2})
    if case_id == "notebook-parameter-type":
        return lambda: execute(notebook, notebook, {"x": 2.5})
    return lambda: execute(notebook, notebook, {"x": 2})


@pytest.mark.parametrize(
    "file_case, error, patterns",
    [(c[0], c[2], c[3]) for c in FILE_CASES],
    ids=[c[0] for c in FILE_CASES],
    indirect=["file_case"],
)
def test_bad_file_or_environment_fails_clearly(file_case, error, patterns):
    with pytest.raises(error) as raised:
        file_case()
    for pattern in patterns:
        assert re.search(pattern, str(raised.value)), f"{pattern!r} not in {raised.value}"


@pytest.mark.slow
def test_a_failing_notebook_leaves_the_file_as_it_was(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(
            cells=[
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("raise RuntimeError('boom')"),
            ],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        ),
        notebook,
    )
    before = notebook.read_bytes()
    with pytest.raises(
        NotebookFailedError, match=r"nb.ipynb failed in the cell shown as In \[3\] .RuntimeError: boom."
    ):
        execute(notebook, notebook, {"x": 2})
    assert notebook.read_bytes() == before and sorted(tmp_path.iterdir()) == [notebook]


def test_a_score_file_write_that_fails_midway_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "run" / "tweet_hate_test.npz"
    save_layer_scores(path, np.zeros((3, 2, 2)), np.zeros(3), {"run": "run"})
    before = path.read_bytes(), path.with_suffix(".json").read_text()

    def broken(file, **arrays):
        Path(file).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        save_layer_scores(path, np.ones((3, 2, 2)), np.zeros(3), {"run": "run"})
    assert (path.read_bytes(), path.with_suffix(".json").read_text()) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["tweet_hate_test.json", "tweet_hate_test.npz"]


# --- properties -------------------------------------------------------------------------------------------------

finite = st.floats(-30, 30, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def valid_call(draw):
    n, layers, classes = draw(st.integers(1, 6)), draw(st.integers(2, 6)), draw(st.integers(2, 5))
    scores = draw(arrays(np.float64, (n, layers, classes), elements=finite))
    final = layers - 1
    if draw(st.booleans()):  # a probability of exactly 0 somewhere, never a whole row
        scores[draw(st.integers(0, n - 1)), draw(st.integers(0, final)), draw(st.integers(0, classes - 1))] = -np.inf
    candidates = sorted(draw(st.sets(st.integers(0, final - 1), min_size=1)))
    method = draw(st.sampled_from(["standard", "static", "dynamic"]))
    kwargs = (
        {}
        if method == "standard"
        else {
            "candidate_layers": candidates,
            "alpha": draw(st.floats(0.01, 1.0)),
            "distance": draw(st.sampled_from(sorted(lle.DISTANCES))),
        }
    )
    if method == "static":
        kwargs["beta"] = draw(st.floats(-0.5, 5))
        kwargs["allow_interpolation"] = kwargs["beta"] < 0  # asked for exactly when it interpolates
    if method == "dynamic":
        kwargs["target_layer"] = final + draw(st.integers(1, 3 * layers))
    return scores, kwargs


@settings(max_examples=300, deadline=None, derandomize=True)
@given(valid_call())
def test_random_valid_inputs_never_raise_and_give_class_indices(call):
    scores, kwargs = call
    predicted = lle.classify(scores, **kwargs)
    assert predicted.shape == (len(scores),) and np.all((0 <= predicted) & (predicted < scores.shape[2]))


BREAKERS = {
    "nan": lambda s, k: (np.where(np.arange(s.size).reshape(s.shape) == 0, np.nan, s), k),
    "posinf": lambda s, k: (np.where(np.arange(s.size).reshape(s.shape) == 0, np.inf, s), k),
    "target at or below L": lambda s, k: (
        s,
        {
            **k,
            "candidate_layers": [0],
            "alpha": 0.1,
            "beta": None,
            "allow_interpolation": False,
            "target_layer": s.shape[1] - 1 - k.get("_down", 0),
        },
    ),
    "alpha out of range": lambda s, k: (
        s,
        {**k, "candidate_layers": [0], "beta": 0.5, "target_layer": None, "alpha": 1.5},
    ),
    "final layer as candidate": lambda s, k: (
        s,
        {**k, "candidate_layers": [s.shape[1] - 1], "beta": 0.5, "target_layer": None},
    ),
}


@settings(max_examples=200, deadline=None, derandomize=True)
@given(valid_call(), st.sampled_from(sorted(BREAKERS)))
def test_random_invalid_inputs_never_pass_silently(call, breaker):
    scores, kwargs = BREAKERS[breaker](*call)
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    with pytest.raises((ValueError, TypeError)):
        lle.classify(scores, **kwargs)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=20), st.integers(4, 9))
def test_labels_out_of_range_never_pass(labels, bad):
    labels = np.array(labels)
    labels[0] = bad
    with pytest.raises(ValueError, match="4 classes"):
        classification_metrics(np.zeros_like(labels), labels, 4)


def test_minus_inf_is_a_probability_of_zero():
    """A class the amateur gives probability 0 scores like one it gives a tiny probability (it wins at β > 0),
    and at β = 0 nothing changes (0·∞ counts as 0)."""
    scores = np.random.default_rng(3).normal(size=(200, 6, 4))
    scores[:, 2, 1] = -np.inf
    tiny = np.where(np.isneginf(scores), -1e4, scores)
    for beta in (0.0, 0.5, 2.0):
        assert np.array_equal(
            lle.classify(scores, candidate_layers=[2], beta=beta, alpha=0.1),
            lle.classify(tiny, candidate_layers=[2], beta=beta, alpha=0.1),
        )
    table = lle.evaluate_grid(scores, np.arange(200) % 4, candidate_sets=[[2]], alphas=[0.1], betas=[0.0, 0.5])
    assert np.isfinite(table.macro_f1).all()


PROBABILITY_CASES = [
    (
        "classify on softmax probabilities",
        lambda: lle.classify(np.exp(SCORES) / np.exp(SCORES).sum(-1, keepdims=True)),
        "layer_scores look like probabilities",
    ),
    (
        "contrastive_scores on probabilities",
        lambda: lle.contrastive_scores(np.full((2, 4), 0.25), np.zeros((2, 4)), beta=1, alpha=0.1),
        "final_scores look like probabilities",
    ),
    (
        "evaluate_grid on probabilities",
        lambda: lle.evaluate_grid(np.full((10, 3, 4), 0.25), LABELS, candidate_sets=[[0]], betas=[0.5]),
        "layer_scores look like probabilities",
    ),
]


@pytest.mark.parametrize("what, call, message", PROBABILITY_CASES, ids=[c[0] for c in PROBABILITY_CASES])
def test_probabilities_where_log_scores_belong_are_warned_about(what, call, message):
    from lle._validate import ProbabilityScoresWarning

    with pytest.warns(ProbabilityScoresWarning, match=f"{message}.*np.log\\(probabilities\\)"):
        call()


def test_logits_never_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lle.classify(SCORES, candidate_layers=CANDIDATES, beta=0.5)


# Faults, each exercised for real by tests/test_faults.py (a killed process, two processes, a full tmpfs disk).
FAULT_CASES = [
    (
        "`lle run` killed (SIGKILL) while pooling, after training, while staging or while moving the score files into "
        "place",
        "the same command recomputes what is missing, reusing the cached work, and writes the bytes an "
        "uninterrupted run writes; until then the run is incomplete and never reported as done",
    ),
    (
        "`lle evaluate` on a run killed while its files were written",
        "`CacheMismatchError` or `FileNotFoundError`: "
        "the run is incomplete; rerun the lle run command that made it (the same --out)",
    ),
    (
        "a second `lle run` into the same --out, run and dataset while the first runs",
        "`RunInProgressError` naming the "
        "holder (process, host, start time, command); the first run's folder stays whole",
    ),
    (
        "validation and test scores from two different runs in one folder",
        "`CacheMismatchError`: they come from different runs (both run keys); rerun with --force",
    ),
    (
        "an --out on a disk with less free space than the run writes",
        "`DiskFullError` before any work: the folder, the free space and the space needed",
    ),
    (
        "the disk fills while the score files are written",
        "`DiskFullError` naming the folder and the space needed; the "
        "partial files are removed and the folder is left as it was",
    ),
]


# --- the error page's table ------------------------------------------------------------------------------------------


def error_table() -> str:
    rows = ["| what you did | what you are told |", "|---|---|"]
    for _case_id, what, call, error, _ in BAD_INPUTS:
        try:
            call()
        except error as raised:
            message = str(raised).replace("|", "\\|").replace("\n", " ")
            rows.append(f"| {what.replace('|', '/')} | `{type(raised).__name__}`: {message} |")
    rows += [
        f"| {what} | `{error.__name__}` naming the file or variable and the fix |" for _, what, error, _ in FILE_CASES
    ]
    rows += [warning_row(what, call) for what, call, _ in PROBABILITY_CASES]
    rows += [data_file_row(case) for case in DATA_FILE_CASES]
    rows += [
        f"| {what} | `lle` exits with status 2 and names the flag, file or folder and the fix; nothing is written |"
        for _, what, _, _ in CLI_CASES
    ]
    rows += [f"| {what} | {outcome} |" for what, outcome in FAULT_CASES]
    return "\n".join(["<!-- errors:start (generated by tests/test_bad_inputs.py) -->", *rows, "<!-- errors:end -->"])


def warning_row(what: str, call) -> str:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return f"| {what} | warning `{type(caught[0].message).__name__}`: {caught[0].message} |"


def data_file_row(case) -> str:
    """A data-file case's message as a user sees it, with the temporary folder shown as ``…/``."""
    import tempfile

    _, what, files, error, _ = case
    files = dict(files)
    columns = files.pop("columns", {})
    with tempfile.TemporaryDirectory() as folder:
        if files.get("test", "") is None:
            return f"| {what} | `{error.__name__}`: the test file …/folder.csv is a folder; pass the path of the test split's .csv, .tsv or .jsonl file |"
        try:
            own_dataset(Path(folder), files, **columns).validate()
        except error as raised:
            message = str(raised).replace(str(Path(folder)) + "/", "…/").replace("|", "\\|").replace("\n", " ")
            return f"| {what} | `{type(raised).__name__}`: {message} |"
    raise AssertionError(f"{what} did not fail")


def test_the_error_page_lists_every_error():
    text = ERROR_PAGE.read_text()
    start, end = text.index("<!-- errors:start"), text.index("<!-- errors:end -->") + len("<!-- errors:end -->")
    assert text[start:end] == error_table(), "regenerate with: .venv/bin/python tests/test_bad_inputs.py"


if __name__ == "__main__":  # rewrite the error page's table from the table of cases
    text = ERROR_PAGE.read_text()
    start, end = text.index("<!-- errors:start"), text.index("<!-- errors:end -->") + len("<!-- errors:end -->")
    ERROR_PAGE.write_text(text[:start] + error_table() + text[end:])
    sys.exit(0)
