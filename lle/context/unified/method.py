"""The unified view of layer contrast: ``guided = (1−β_u)·log p_L + β_u·log p_ℓ`` on one axis, from interpolation
(0 < β_u < 1, ensembling the two layers) through the final layer (β_u = 0) to extrapolation away from the early
layer (β_u < 0: contrastive decoding and DoLa at β_u ≈ −1; classifier-free guidance with γ from 1.5 to 3 sits at
β_u = 1 − γ, in [−2, −0.5]). β_u = −β in LLE's terms (:func:`lle.unified_beta_from_beta`).

Everything here works on cached per-layer log-probabilities (numpy): a per-(sample, layer) shift changes ``guided``
only by a per-sample constant, which the softmax removes, so log-probabilities stand in for head logits. The
plausibility constraint, when asked for, masks classes with p_L(c) < α·max p_L before the softmax; calibration
metrics (NLL, ECE, entropy) are then computed on the renormalized distribution over the plausible classes, with a
masked true class costing the NLL of probability 1e-12 (reported, never dropped).
"""

from __future__ import annotations

import numpy as np

import lle
from lle.method._validate import class_indices, layer_scores_array, resolve_final_layer
from lle.method.core import log_softmax, plausible_mask
from lle.method.metrics import classification_metrics

NAMED_METHODS = {  # β_u of the methods the unified view places on its axis
    "final layer": 0.0,
    "contrastive decoding (beta = 1; the source also puts DoLa here)": -1.0,
    "CFG (gamma = 1.5)": -0.5,
    "CFG (gamma = 3)": -2.0,
    "ensemble (mean of the two layers)": 0.5,
}
ECE_BINS = 15
FLOOR = np.log(1e-12)  # log-probability charged when the true class is masked out


def guided_log_probs(log_probs, layer, unified_beta: float, *, final_layer: int = -1, alpha: float | None = None):
    """log softmax of ``(1−β_u)·log p_L + β_u·log p_ℓ``, shape (n_samples, n_classes); ``layer`` is one layer index
    or one per sample (e.g. LLE's amateur); with ``alpha`` the implausible classes get probability 0 (−inf)."""
    final_logp, layer_logp = _final_and_layer(log_probs, layer, final_layer)
    plausible = None if alpha is None else plausible_mask(final_logp, alpha)
    return _mix(final_logp, layer_logp, unified_beta, plausible)


def _final_and_layer(log_probs, layer, final_layer: int):
    """The normalized final layer and the chosen layer (one index or one per sample), each (n_samples, n_classes)."""
    scores = layer_scores_array(log_probs)
    final = resolve_final_layer(final_layer, scores.shape[1])
    logp = log_softmax(scores)
    layers = np.broadcast_to(np.asarray(layer, dtype=np.int64), (len(logp),))
    if np.any((layers < 0) | (layers >= scores.shape[1])):
        raise ValueError(f"layer must lie in 0..{scores.shape[1] - 1}, got {np.unique(layers).tolist()}")
    return logp[:, final], logp[np.arange(len(logp)), layers]


def _mix(final_logp, layer_logp, unified_beta: float, plausible=None) -> np.ndarray:
    guided = (1 - unified_beta) * final_logp + unified_beta * layer_logp
    if plausible is not None:
        guided = np.where(plausible, guided, -np.inf)
    return log_softmax(guided)


def expected_calibration_error(log_probs, labels, *, bins: int = ECE_BINS) -> float:
    """ECE with equal-width confidence bins: ``Σ_b |B|/n · |accuracy(B) − confidence(B)|``."""
    probs = np.exp(log_probs)
    confidence, predicted = probs.max(axis=1), probs.argmax(axis=1)
    correct = predicted == labels
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def distribution_metrics(log_probs, labels) -> dict:
    """Macro-F1, accuracy, negative log-likelihood, ECE and mean entropy of (n_samples, n_classes) log-probs."""
    labels = class_indices(labels, name="labels", n_classes=log_probs.shape[1])
    metrics = classification_metrics(np.argmax(log_probs, axis=1), labels, log_probs.shape[1])
    true = np.maximum(log_probs[np.arange(len(labels)), labels], FLOOR)
    probs = np.exp(log_probs)
    with np.errstate(invalid="ignore"):  # 0 · -inf for masked classes: counted as 0 below
        entropy = -np.sum(np.where(probs > 0, probs * log_probs, 0.0), axis=1)
    return {
        "macro_f1": float(metrics["macro_f1"]),
        "accuracy": float(metrics["accuracy"]),
        "nll": float(-true.mean()),
        "ece": expected_calibration_error(log_probs, labels),
        "entropy": float(entropy.mean()),
    }


def unified_sweep(
    log_probs, labels, *, layers: dict, unified_betas, alphas=(None,), final_layer: int = -1
) -> list[dict]:
    """One row per (layer choice, β_u, α): ``layers`` maps a name ('layer 6', 'LLE amateur') to a layer index or
    one per sample. ``changed_vs_final`` is the share of predictions that differ from the final layer's (a
    temperature alone never changes one)."""
    rows = []
    for name, layer in layers.items():
        final_logp, layer_logp = _final_and_layer(log_probs, layer, final_layer)  # normalized once per layer choice
        final_prediction = np.argmax(final_logp, axis=1)
        for alpha in alphas:
            plausible = None if alpha is None else plausible_mask(final_logp, alpha)
            for beta_u in unified_betas:
                guided = _mix(final_logp, layer_logp, float(beta_u), plausible)
                rows.append(
                    {
                        "layer": name,
                        "unified_beta": float(beta_u),
                        "alpha": alpha,
                        **distribution_metrics(guided, labels),
                        "changed_vs_final": float(np.mean(np.argmax(guided, axis=1) != final_prediction)),
                    }
                )
    return rows


def temperature_sweep(log_probs, labels, temperatures, *, final_layer: int = -1) -> list[dict]:
    """The final layer alone, sharpened or flattened by a temperature: softmax(log p_L / T)."""
    scores = layer_scores_array(log_probs)
    final = log_softmax(scores)[:, resolve_final_layer(final_layer, scores.shape[1])]
    return [{"temperature": float(t), **distribution_metrics(log_softmax(final / t), labels)} for t in temperatures]


def at_matched_entropy(sweep_rows: list[dict], temperature_rows: list[dict]) -> list[dict]:
    """For each sweep row, the temperature whose mean entropy matches (linear interpolation over the temperature
    grid), with that temperature's macro-F1 and ECE beside the row's: does extrapolation act like sharpening?"""
    temps = sorted(temperature_rows, key=lambda r: r["entropy"])
    entropy = np.array([r["entropy"] for r in temps])
    matched = []
    for row in sweep_rows:
        if not entropy[0] <= row["entropy"] <= entropy[-1]:
            continue
        values = {
            key: float(np.interp(row["entropy"], entropy, [r[key] for r in temps]))
            for key in ("temperature", "macro_f1", "ece")
        }
        matched.append(
            {
                "layer": row["layer"],
                "unified_beta": row["unified_beta"],
                "alpha": row["alpha"],
                "entropy": row["entropy"],
                "macro_f1": row["macro_f1"],
                "ece": row["ece"],
                "temperature": values["temperature"],
                "temperature_macro_f1": values["macro_f1"],
                "temperature_ece": values["ece"],
            }
        )
    return matched


def rescaling_r2(log_probs, *, final_layer: int = -1) -> np.ndarray:
    """Per layer, the fraction of the variance of log p_L (centred per sample over classes) explained by one
    scalar multiple of log p_ℓ (centred likewise): 1 when later layers only rescale earlier ones."""
    scores = layer_scores_array(log_probs)
    logp = log_softmax(scores)
    final = logp[:, resolve_final_layer(final_layer, scores.shape[1])]
    target = final - final.mean(axis=1, keepdims=True)
    result = []
    for layer in range(logp.shape[1]):
        source = logp[:, layer] - logp[:, layer].mean(axis=1, keepdims=True)
        denominator = np.sum(source * source)
        scale = np.sum(source * target) / denominator if denominator > 0 else 0.0
        residual = target - scale * source
        result.append(1 - np.sum(residual * residual) / np.sum(target * target))
    return np.array(result)


def dola_placement(log_probs, layer, unified_betas, *, final_layer: int = -1) -> dict:
    """Where DoLa sits on the axis. DoLa ranks classes by log p_L − log p_ℓ, the β_u → −∞ limit of
    (1−β_u)·log p_L + β_u·log p_ℓ (divide by −β_u); the unified view's source places it at β_u = −1 instead. Returns
    the share of predictions by DoLa's score that differ from those at β_u = −1 and at the most negative β_u of
    ``unified_betas`` (plausibility off)."""
    final_logp, layer_logp = _final_and_layer(log_probs, layer, final_layer)
    dola = np.argmax(final_logp - layer_logp, axis=1)
    farthest = float(min(unified_betas))
    at = {beta_u: np.argmax(_mix(final_logp, layer_logp, beta_u, None), axis=1) for beta_u in (-1.0, farthest)}
    return {
        "dola_differs_from_minus_one": float(np.mean(dola != at[-1.0])),
        "farthest_beta_u": farthest,
        "dola_differs_from_farthest": float(np.mean(dola != at[farthest])),
    }


def amateur_layers(log_probs, config: "lle.Config") -> np.ndarray:
    """The per-sample amateur of an LLE configuration (its candidate layers and distance)."""
    return lle.select_amateur(log_probs, candidate_layers=config.candidate_layers, distance=config.distance)


# --- on a study's cached pairs (notebook 09) ------------------------------------------------------------------

UNIFIED_BETAS = tuple(sorted({*np.round(np.arange(-3.0, 1.01, 0.25), 2), -0.1, -0.05, 0.05, 0.1}))
FIXED_DEPTHS = (0.25, 0.5, 0.75)


def fixed_layers(n_layers: int, depths=FIXED_DEPTHS) -> dict:
    """Named layers at relative depths of a model with ``n_layers`` hidden states (0 = embeddings), plus L−1."""
    final = n_layers - 1
    chosen = {f"{d:.0%} depth": int(round(d * final)) for d in depths}  # named by depth: comparable across models
    chosen["L-1"] = final - 1
    return {name: layer for name, layer in chosen.items() if 0 <= layer < final}


def select_on_validation(validation_rows: list[dict], metric: str = "macro_f1", higher: bool = True) -> dict:
    """Per (layer, alpha): the β_u with the best validation ``metric``; ties go to the smallest ``|β_u|`` (the choice
    closest to the final layer)."""
    best = {}
    for row in validation_rows:
        key = (row["layer"], row["alpha"])
        score = row[metric] if higher else -row[metric]
        current = best.get(key)
        if (
            current is None
            or score > current[0] + 1e-12
            or (abs(score - current[0]) <= 1e-12 and abs(row["unified_beta"]) < abs(current[1]))
        ):
            best[key] = (score, row["unified_beta"])
    return {key: beta_u for key, (_, beta_u) in best.items()}


# --- figures and findings -------------------------------------------------------------------------------------
