"""The theory notebook's derivation, toy example and figures: why contrastive early exit is linear
extrapolation, with β = (ℓ_t − L)/(L − ℓ_a), on a toy model whose numbers are known."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import lle

TOY_CLASSES = ("neutral", "joy", "optimism", "sadness")


def derive_dynamic_beta():
    """Solve "the amateur→final line read at ℓ_t equals the contrastive score" for β with sympy; returns the
    equation β = … (checked against (ℓ_t − L)/(L − ℓ_a))."""
    import sympy as sp

    ell_a, ell_t, big_l, y_a, y_l, beta = sp.symbols("ell_a ell_t L y_a y_L beta", real=True)
    line_at_target = y_l + (ell_t - big_l) * (y_l - y_a) / (big_l - ell_a)
    (solution,) = sp.solve(sp.Eq(line_at_target, (1 + beta) * y_l - beta * y_a), beta)
    if sp.simplify(solution - (ell_t - big_l) / (big_l - ell_a)) != 0:
        raise AssertionError(f"unexpected solution {solution}")
    return sp.Eq(sp.Symbol(r"\beta"), sp.simplify(solution))


def round_trips(n_layers: int) -> list[str]:
    """β from ℓ_t and back, for a low, a middle and a late amateur."""
    target = n_layers + n_layers // 4
    lines = []
    for amateur in (0, n_layers // 2, n_layers - 1):
        beta = float(lle.dynamic_beta(amateur_layer=amateur, final_layer=n_layers, target_layer=target))
        back = float(lle.target_layer(beta=beta, amateur_layer=amateur, final_layer=n_layers))
        lines.append(f"l_a = {amateur:2d}, l_t = {target}:  beta = {beta:.3f}  -> back to l_t = {back:.1f}")
    return lines


def toy_example(n_layers: int) -> dict:
    """A single sample whose four classes' logits move smoothly with depth; the amateur among the upper half of
    the layers, and the first target layer whose extrapolation flips the prediction."""
    depth = np.arange(n_layers + 1) / n_layers
    logits = np.stack([3 - 3 * depth, 0.5 + 2.5 * depth, -1 + 3.4 * depth**2, -0.5 + 0 * depth], axis=-1)[None]
    candidates = range(n_layers // 2, n_layers)
    amateur = int(lle.select_amateur(logits, candidate_layers=candidates)[0])
    targets = np.arange(n_layers + 1, 2 * n_layers + 1)
    standard = int(lle.classify(logits)[0])
    predictions = {
        int(t): int(lle.classify(logits, candidate_layers=candidates, target_layer=t, alpha=0.1)[0]) for t in targets
    }
    flips = [t for t, p in predictions.items() if p != standard]
    return {
        "log_probs": lle.log_softmax(logits)[0],
        "amateur": amateur,
        "targets": targets,
        "n_layers": n_layers,
        "prediction": TOY_CLASSES[standard],
        "flip_at": flips[0] if flips else None,
        "flipped_to": TOY_CLASSES[predictions[flips[0]]] if flips else None,
    }


def geometry_figure(toy: dict):
    """Each class's log-probability across layers, and its amateur→final line extended past L."""
    log_probs, amateur, targets, final = toy["log_probs"], toy["amateur"], toy["targets"], toy["n_layers"]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for c, name in enumerate(TOY_CLASSES):
        slope = (log_probs[final, c] - log_probs[amateur, c]) / (final - amateur)
        ax.plot(np.arange(final + 1), log_probs[:, c], color=f"C{c}", label=name)
        extended = np.r_[final, targets]
        ax.plot(extended, log_probs[final, c] + slope * (extended - final), "--", color=f"C{c}")
        ax.plot([amateur, final], [log_probs[amateur, c], log_probs[final, c]], "o", color=f"C{c}", ms=4)
    ax.axvline(final, color="k", lw=0.8)
    ax.annotate(
        "amateur $\\ell_a$",
        (amateur, log_probs[amateur].min()),
        xytext=(0, -18),
        textcoords="offset points",
        ha="center",
    )
    ax.text(final, ax.get_ylim()[1], " final $L$", va="top")
    if toy["flip_at"] is not None:
        ax.axvline(toy["flip_at"], color="grey", lw=0.8, ls=":")
        ax.text(toy["flip_at"], ax.get_ylim()[1], f" flip at $\\ell_t$={toy['flip_at']}", va="top", color="grey")
    ax.set(
        xlabel="layer (hidden-state index)",
        ylabel="log-probability",
        title="Extrapolating each class's amateur→final line",
    )
    ax.legend(loc="lower left", ncol=2, frameon=False)
    return fig


def beta_vs_target_figure(n_layers: int):
    """The dynamic β against ℓ_t for a few amateur layers."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    targets = np.arange(n_layers + 1, 2 * n_layers + 1)
    for amateur in sorted({0, n_layers // 4, n_layers // 2, 3 * n_layers // 4, n_layers - 1}):
        beta = lle.dynamic_beta(amateur_layer=amateur, final_layer=n_layers, target_layer=targets)
        ax.plot(targets, beta, marker=".", label=f"$\\ell_a$ = {amateur}")
    ax.set(
        xlabel="target layer $\\ell_t$",
        ylabel="dynamic $\\beta$",
        yscale="log",
        title=f"$\\beta = (\\ell_t - L)/(L - \\ell_a)$, L = {n_layers}",
    )
    ax.legend(frameon=False)
    return fig


def unified_axis_rows(n_layers: int) -> list[tuple[str, np.ndarray, str]]:
    """(method, β_u values, marker) of the methods placed on the unified interpolation/extrapolation axis."""
    target = n_layers + n_layers // 4
    lle_betas = lle.dynamic_beta(
        amateur_layer=np.arange(n_layers // 2, n_layers), final_layer=n_layers, target_layer=target
    )
    return [
        ("standard ($\\beta$ = 0)", np.array([0.0]), "o"),
        ("amateur layer only", np.array([1.0]), "o"),
        ("interpolation", np.linspace(0.1, 0.9, 5), "|"),
        ("contrastive decoding, $\\beta$ = 0.5", np.atleast_1d(lle.unified_beta_from_beta(0.5)), "o"),
        ("CFG, $\\gamma$ = 1.5 and 3", np.array([1 - 1.5, 1 - 3.0]), "o"),
        (
            f"LLE, $\\ell_t$ = {target}, amateurs {n_layers // 2}..{n_layers - 1}",
            lle.unified_beta_from_beta(lle_betas),
            "v",
        ),
        ("DoLa / Li et al. (st_coef = 1): $\\beta_u \\to -\\infty$", np.array([-n_layers / 4 - 0.4]), "<"),
    ]


def unified_axis_figure(n_layers: int):
    """The β_u axis with the methods the unified view places on it, for a model of ``n_layers``."""
    rows = unified_axis_rows(n_layers)
    left = -n_layers / 4 - 1
    fig, ax = plt.subplots(figsize=(8.5, 3.4))
    ax.axvspan(0, 1, color="tab:green", alpha=0.12)
    ax.axvspan(left, 0, color="tab:orange", alpha=0.08)
    for y, (label, values, marker) in enumerate(rows[::-1]):
        ax.plot(values, [y] * len(values), marker, color="tab:red" if marker == "v" else "k", ms=6)
        ax.text(1.35, y, label, va="center", fontsize=9)
    ax.text(0.5, len(rows) - 0.4, "interpolate", ha="center", color="tab:green")
    ax.text(left / 2, len(rows) - 0.4, "extrapolate ($\\beta > 0$)", ha="center", color="tab:orange")
    ax.set(xlim=(left, 1.3), ylim=(-0.7, len(rows)), yticks=[], xlabel="$\\beta_u = -\\beta$")
    ax.spines["left"].set_visible(False)
    return fig


def plausibility_figure():
    """Why the plausibility constraint matters: without it a class the final layer barely believes wins."""
    final, amateur = np.log([[0.70, 0.25, 0.04, 0.01]]), np.log([[0.60, 0.30, 0.0999, 0.0001]])
    names = ["A", "B", "C", "D"]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3), sharey=True)
    for ax, (alpha, title) in zip(axes, [(1e-12, "no constraint ($\\alpha \\to 0$)"), (0.1, "$\\alpha$ = 0.1")]):
        scores = lle.contrastive_scores(final, amateur, beta=1.0, alpha=alpha)[0]
        finite = np.isfinite(scores)
        ax.bar(names, np.where(finite, scores, 0.0), color=["tab:blue" if f else "none" for f in finite])
        for x, (value, ok) in enumerate(zip(scores, finite)):
            ax.text(
                x,
                0.15,
                f"{value:.2f}" if ok else "masked\n$-\\infty$",
                ha="center",
                va="bottom",
                fontsize=9,
                color="k" if ok else "grey",
            )
        ax.set(title=f"{title}: predicts {names[int(np.argmax(scores))]}", ylim=(-4.6, 1.2))
        ax.axhline(0, color="k", lw=0.6)
    axes[0].set_ylabel("score $(1+\\beta)\\log p_L - \\beta\\log p_a$")
    return fig
