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
import seaborn.objects as so

import lle
from lle._validate import class_indices, layer_scores_array, resolve_final_layer
from lle.core import log_softmax, plausible_mask
from lle.experiments.figures import draw, pair_labels
from lle.experiments.report import short_run
from lle.metrics import classification_metrics

NAMED_METHODS = {  # β_u of the methods the unified view places on its axis
    "final layer": 0.0,
    "contrastive decoding / DoLa (beta = 1)": -1.0,
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
    return {"macro_f1": float(metrics["macro_f1"]), "accuracy": float(metrics["accuracy"]),
            "nll": float(-true.mean()), "ece": expected_calibration_error(log_probs, labels),
            "entropy": float(entropy.mean())}


def unified_sweep(log_probs, labels, *, layers: dict, unified_betas, alphas=(None,), final_layer: int = -1) -> list[dict]:
    """One row per (layer choice, β_u, α): ``layers`` maps a name ('layer 6', 'LLE amateur') to a layer index or
    one per sample."""
    rows = []
    for name, layer in layers.items():
        final_logp, layer_logp = _final_and_layer(log_probs, layer, final_layer)  # normalized once per layer choice
        for alpha in alphas:
            plausible = None if alpha is None else plausible_mask(final_logp, alpha)
            for beta_u in unified_betas:
                guided = _mix(final_logp, layer_logp, float(beta_u), plausible)
                rows.append({"layer": name, "unified_beta": float(beta_u), "alpha": alpha,
                             **distribution_metrics(guided, labels)})
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
        values = {key: float(np.interp(row["entropy"], entropy, [r[key] for r in temps]))
                  for key in ("temperature", "macro_f1", "ece")}
        matched.append({"layer": row["layer"], "unified_beta": row["unified_beta"], "alpha": row["alpha"],
                        "entropy": row["entropy"], "macro_f1": row["macro_f1"], "ece": row["ece"],
                        "temperature": values["temperature"], "temperature_macro_f1": values["macro_f1"],
                        "temperature_ece": values["ece"]})
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
        if current is None or score > current[0] + 1e-12 or (abs(score - current[0]) <= 1e-12
                                                               and abs(row["unified_beta"]) < abs(current[1])):
            best[key] = (score, row["unified_beta"])
    return {key: beta_u for key, (_, beta_u) in best.items()}


def study_unified(study, *, unified_betas=UNIFIED_BETAS, temperatures=None) -> dict:
    """For every pair of the study: β_u sweeps on validation and test for LLE's per-sample amateur (its
    validation-selected candidate layers) and fixed layers, with plausibility off and at LLE's α; the β_u chosen on
    validation (by macro-F1 and by ECE) with its test metrics; a temperature sweep of the final layer and the
    matched-entropy comparison; the rescaling R² of every layer. Returns pandas tables."""
    import pandas as pd

    temperatures = np.geomspace(0.05, 5, 41) if temperatures is None else temperatures
    sweeps, chosen, matched, rescaling = [], [], [], []
    for pair in study.pairs:
        config = study.selection(pair, "dynamic").config
        key = {"run": pair.run, "dataset": pair.dataset}
        per_split = {}
        for split in ("validation", "test"):
            scores = getattr(pair, split)
            layers = {"LLE amateur": amateur_layers(scores.log_probs, config), **fixed_layers(pair.n_layers)}
            per_split[split] = unified_sweep(scores.log_probs, scores.labels, layers=layers,
                                             unified_betas=unified_betas, alphas=(None, config.alpha))
            sweeps += [{**key, "split": split, **row} for row in per_split[split]]
        test_rows = {(r["layer"], r["alpha"], r["unified_beta"]): r for r in per_split["test"]}
        for criterion, metric, higher in (("macro-F1", "macro_f1", True), ("ECE", "ece", False)):
            for (layer, alpha), beta_u in select_on_validation(per_split["validation"], metric, higher).items():
                chosen.append({**key, "selected_by": criterion, **test_rows[layer, alpha, beta_u]})
        temperature_rows = temperature_sweep(pair.test.log_probs, pair.test.labels, temperatures)
        matched += [{**key, **row} for row in at_matched_entropy(per_split["test"], temperature_rows)]
        rescaling += [{**key, "layer": layer, "relative_depth": layer / (pair.n_layers - 1), "r2": float(r2)}
                      for layer, r2 in enumerate(rescaling_r2(pair.validation.log_probs))]
    return {"sweeps": pd.DataFrame(sweeps), "selected": pd.DataFrame(chosen), "matched": pd.DataFrame(matched),
            "rescaling": pd.DataFrame(rescaling)}


# --- figures and findings -------------------------------------------------------------------------------------

CFG_SPAN = (NAMED_METHODS["CFG (gamma = 3)"], NAMED_METHODS["CFG (gamma = 1.5)"])  # β_u = 1 − γ


def mark_named_methods(axes) -> None:
    """CFG's range shaded, contrastive decoding / DoLa dotted, the final layer solid, on every β_u axis."""
    for ax in axes:
        ax.axvspan(*CFG_SPAN, color="tab:orange", alpha=0.08)
        ax.axvline(NAMED_METHODS["contrastive decoding / DoLa (beta = 1)"], color="tab:red", lw=0.8, ls=":")
        ax.axvline(0, color="grey", lw=0.8)


BETA_U_LABEL = r"$\beta_u$ (< 0 extrapolates, > 0 interpolates; shaded: CFG γ 1.5–3; dotted: CD / DoLa)"


def axis_figure(sweeps):
    """Test macro-F1 (left) and ECE (right) against β_u, plausibility off, one line per layer choice (black: LLE's
    amateur), one row per pair; the named methods marked on the axis."""
    data = sweeps[(sweeps.split == "test") & sweeps.alpha.isna()]
    long = data.assign(pair=pair_labels(data)).melt(id_vars=["pair", "layer", "unified_beta"],
                                                   value_vars=["macro_f1", "ece"], var_name="metric")
    long["metric"] = long.metric.map({"macro_f1": "test macro-F1", "ece": "test ECE (15 bins)"})
    layers = list(dict.fromkeys(long.layer))
    palette = {layer: "k" if layer == "LLE amateur" else f"C{i}" for i, layer in enumerate(layers)}
    plot = (so.Plot(long, x="unified_beta", y="value", color="layer")
            .facet(col="metric", row="pair", order={"row": list(dict.fromkeys(long.pair))}).share(y=False)
            .add(so.Line(linewidth=1)).scale(color=palette)
            .label(x=BETA_U_LABEL, y="", color="layer read", title=str))
    fig = draw(plot, (10.5, 2.2 * long.pair.nunique() + 0.6))
    mark_named_methods(fig.axes)
    return fig


def entropy_figure(sweeps):
    """Mean entropy of softmax(guided) on test against β_u, LLE's amateur, plausibility off: one panel per
    dataset, one line per run. Extrapolation sharpens (lower entropy), interpolation flattens."""
    data = sweeps[(sweeps.split == "test") & sweeps.alpha.isna() & (sweeps.layer == "LLE amateur")]
    data = data.assign(model=data.run.map(short_run))
    datasets = sorted(data.dataset.unique())
    plot = (so.Plot(data, x="unified_beta", y="entropy", color="model").facet(col="dataset", order=datasets)
            .share(y=False).add(so.Line(marker=".", pointsize=3))
            .label(x=BETA_U_LABEL.split(";")[0] + ")", y="test mean entropy (nats), LLE amateur", color="",
                   title=str))
    fig = draw(plot, (4.2 * len(datasets) + 2.0, 3.2))
    mark_named_methods(fig.axes)
    return fig


def rescaling_figure(rescaling):
    """R² of log p_L explained by a scalar multiple of each layer's log p_ℓ, against relative depth."""
    data = rescaling.assign(model=rescaling.run.map(short_run))
    datasets = sorted(data.dataset.unique())
    plot = (so.Plot(data, x="relative_depth", y="r2", color="model").facet(col="dataset", order=datasets)
            .add(so.Line(marker=".", pointsize=3)).limit(y=(-0.05, 1.05))
            .label(x=r"relative depth $\ell / L$", y="R² of log p_L on c·log p_ℓ (validation)", color="",
                   title=str))
    return draw(plot, (4.2 * len(datasets) + 2.0, 3.2))


def findings(tables) -> str:
    """What the sweeps say, in sentences, with every number computed here."""
    from lle.experiments.report import Findings

    selected = tables["selected"]
    f1_pick = selected[(selected.selected_by == "macro-F1") & selected.alpha.isna() & (selected.layer == "LLE amateur")]
    ece_pick = selected[(selected.selected_by == "ECE") & selected.alpha.isna() & (selected.layer == "LLE amateur")]
    sweeps = tables["sweeps"]
    final = sweeps[(sweeps.split == "test") & sweeps.alpha.isna() & (sweeps.layer == "LLE amateur")
                   & (sweeps.unified_beta == 0.0)].set_index(["run", "dataset"])
    f1_gain = f1_pick.set_index(["run", "dataset"]).macro_f1 - final.macro_f1
    ece_gain = final.ece - ece_pick.set_index(["run", "dataset"]).ece
    matched = tables["matched"]
    extrapolated = matched[(matched.unified_beta < 0) & matched.alpha.isna()]
    like_temperature = (extrapolated.macro_f1 - extrapolated.temperature_macro_f1).abs() <= 0.005
    r2 = tables["rescaling"].groupby(["run", "dataset"]).r2.apply(lambda r: r.iloc[:-1].max())
    at_dola = sweeps[(sweeps.split == "test") & sweeps.alpha.isna() & (sweeps.layer == "LLE amateur")
                     & (sweeps.unified_beta == -1.0)].set_index(["run", "dataset"])
    sharper = at_dola.entropy < final.entropy
    return Findings("\n".join([
        f"- With LLE's amateur and no plausibility constraint, validation picks β_u < 0 (extrapolation) in "
        f"{int((f1_pick.unified_beta < 0).sum())} of {len(f1_pick)} pairs and β_u > 0 (interpolation) in "
        f"{int((f1_pick.unified_beta > 0).sum())}; test macro-F1 changes by {f1_gain.mean():+.4f} on average against "
        f"the final layer (range {f1_gain.min():+.4f} to {f1_gain.max():+.4f}).",
        f"- Chosen for calibration instead, β_u is > 0 in {int((ece_pick.unified_beta > 0).sum())} of "
        f"{len(ece_pick)} pairs, and test ECE changes by {-ece_gain.mean():+.4f} on average against the final "
        f"layer (from {-ece_gain.max():+.4f} to {-ece_gain.min():+.4f}).",
        f"- Extrapolation sharpens: at β_u = −1 the mean test entropy of LLE's amateur is below the final layer's in "
        f"{int(sharper.sum())} of {len(sharper)} pairs (by {(final.entropy - at_dola.entropy).median():.3f} nats, "
        "median).",
        f"- At matched mean entropy, extrapolation's test macro-F1 is within 0.005 of a temperature-sharpened final "
        f"layer in {int(like_temperature.sum())} of {len(extrapolated)} (pair, layer, β_u < 0) points.",
        f"- The best R² of a layer below the final one, as a rescaled final layer, ranges from {r2.min():.2f} to "
        f"{r2.max():.2f} across pairs; {int((r2 >= 0.9).sum())} of {len(r2)} pairs have a layer at 0.9 or above "
        "(1 would mean the later layers only rescale it).",
    ]))
