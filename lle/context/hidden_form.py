"""The unified view's two forms: mixing layers in logit space, ``(1−β_u)·head(h_L) + β_u·head(h_ℓ)``
(:func:`lle.context.unified.guided_log_probs`, what LLE and contrastive decoding do), or in hidden-state space,
``head((1−β_u)·h_L + β_u·h_ℓ)``. They agree for every β_u when the head is affine (the weights 1−β_u and β_u sum
to one, so the bias passes through) and at β_u = 0 and 1 for any head; the paper's head is Linear–ReLU–Linear, so
in between they can differ. Pure tensors here: a head module and pooled states, no model.
"""
from __future__ import annotations

import numpy as np
import seaborn.objects as so
import torch

from lle.context.unified import (BETA_U_LABEL, mark_named_methods, distribution_metrics, guided_log_probs,
                                 select_on_validation)
from lle.experiments.figures import change_dots, draw, pair_labels


def layer_log_probs(head: torch.nn.Module, pooled: torch.Tensor) -> np.ndarray:
    """(n, n_layers, n_classes) log-probabilities of the head read at every layer (the early-exit scores)."""
    with torch.inference_mode():
        return torch.log_softmax(head(pooled).double(), dim=-1).numpy()


def hidden_form_log_probs(head: torch.nn.Module, pooled: torch.Tensor, layer, unified_beta: float, *,
                          final_layer: int = -1) -> np.ndarray:
    """log softmax of ``head((1−β_u)·h_L + β_u·h_ℓ)``; ``pooled`` is (n, n_layers, hidden), ``layer`` one index
    or one per sample."""
    if pooled.ndim != 3:
        raise ValueError(f"pooled must be (n_samples, n_layers, hidden), got shape {tuple(pooled.shape)}")
    n, n_layers = pooled.shape[:2]
    layers = torch.as_tensor(np.broadcast_to(np.asarray(layer, dtype=np.int64), (n,)).copy())
    if bool(((layers < 0) | (layers >= n_layers)).any()):
        raise ValueError(f"layer must lie in 0..{n_layers - 1}, got {sorted(set(layers.tolist()))}")
    final = pooled[:, final_layer]
    early = pooled[torch.arange(n), layers]
    with torch.inference_mode():
        return torch.log_softmax(head((1 - unified_beta) * final + unified_beta * early).double(), dim=-1).numpy()


def compare_forms(head: torch.nn.Module, pooled: torch.Tensor, labels, *, layers: dict, unified_betas) -> list[dict]:
    """One row per (layer choice, β_u): macro-F1, NLL and ECE of each form, and the fraction of samples whose
    predicted class the two forms agree on. ``layers`` maps a name to a layer index or one per sample."""
    log_probs = layer_log_probs(head, pooled)
    rows = []
    for name, layer in layers.items():
        for beta_u in unified_betas:
            logit = guided_log_probs(log_probs, layer, float(beta_u))
            hidden = hidden_form_log_probs(head, pooled, layer, float(beta_u))
            rows.append({"layer": name, "unified_beta": float(beta_u),
                         **{f"logit_{k}": v for k, v in distribution_metrics(logit, labels).items()},
                         **{f"hidden_{k}": v for k, v in distribution_metrics(hidden, labels).items()},
                         "agreement": float(np.mean(logit.argmax(1) == hidden.argmax(1)))})
    return rows


def selected_forms(validation_rows: list[dict], test_rows: list[dict]) -> list[dict]:
    """Per layer choice and form, β_u chosen on validation macro-F1 (ties: smallest ``|β_u|``), with its test numbers."""
    test = {(r["layer"], r["unified_beta"]): r for r in test_rows}
    chosen = []
    for form in ("logit", "hidden"):
        as_unified = [{"layer": r["layer"], "alpha": None, "unified_beta": r["unified_beta"],
                       "macro_f1": r[f"{form}_macro_f1"]} for r in validation_rows]
        for (layer, _), beta_u in select_on_validation(as_unified).items():
            row = test[layer, beta_u]
            chosen.append({"layer": layer, "form": form, "unified_beta": beta_u,
                           "test_macro_f1": row[f"{form}_macro_f1"], "test_ece": row[f"{form}_ece"],
                           "test_agreement_at_beta": row["agreement"]})
    return chosen


# --- presentation (notebook 09) ---------------------------------------------------------------------------------

def forms_summary(tables, layer: str = "LLE amateur"):
    """Per pair, for one layer choice on test: where the forms part (agreement at β_u = −1 and its minimum over
    the grid, the largest macro-F1 gap), and the validation-selected β_u of each form with its test macro-F1."""
    import pandas as pd

    rows = tables["rows"][(tables["rows"].split == "test") & (tables["rows"].layer == layer)]
    chosen = tables["selected"][tables["selected"].layer == layer].pivot_table(
        index=["run", "dataset"], columns="form", values=["unified_beta", "test_macro_f1"])
    summary = []
    for (run, dataset), part in rows.groupby(["run", "dataset"], sort=False):
        gap = (part.hidden_macro_f1 - part.logit_macro_f1).abs()
        at_dola = part[part.unified_beta == -1.0]
        pick = chosen.loc[(run, dataset)]
        summary.append({"run": run, "dataset": dataset,
                        "agreement at beta_u = -1": float(at_dola.agreement.iloc[0]) if len(at_dola) else np.nan,
                        "F1 hidden minus logit at beta_u = -1": float((at_dola.hidden_macro_f1 - at_dola.logit_macro_f1)
                                                                      .iloc[0]) if len(at_dola) else np.nan,
                        "lowest agreement": float(part.agreement.min()),
                        "beta_u of lowest agreement": float(part.unified_beta.iloc[int(np.argmin(part.agreement))]),
                        "largest |F1 gap| over beta_u": float(gap.max()),
                        "beta_u chosen, logit form": float(pick["unified_beta", "logit"]),
                        "beta_u chosen, hidden form": float(pick["unified_beta", "hidden"]),
                        "test F1, logit form": float(pick["test_macro_f1", "logit"]),
                        "test F1, hidden form": float(pick["test_macro_f1", "hidden"])})
    summary = pd.DataFrame(summary)
    summary["hidden minus logit"] = summary["test F1, hidden form"] - summary["test F1, logit form"]
    return summary


def forms_figure(tables, layer: str = "LLE amateur"):
    """Per pair, against β_u: test prediction agreement between the forms (left) and each form's test macro-F1
    (right)."""
    rows = tables["rows"][(tables["rows"].split == "test") & (tables["rows"].layer == layer)]
    long = rows.assign(pair=pair_labels(rows)).melt(
        id_vars=["pair", "unified_beta"], value_vars=["agreement", "logit_macro_f1", "hidden_macro_f1"],
        var_name="series")
    long["panel"] = np.where(long.series == "agreement", "test agreement of predicted classes", "test macro-F1")
    long["series"] = long.series.map({"agreement": "agreement", "logit_macro_f1": "logit form",
                                      "hidden_macro_f1": "hidden-state form"})
    plot = (so.Plot(long, x="unified_beta", y="value", color="series", linestyle="series")
            .facet(col="panel", row="pair", order={"row": list(dict.fromkeys(long.pair))}).share(y=False)
            .add(so.Line(linewidth=1.2))
            .scale(color={"agreement": "k", "logit form": "C0", "hidden-state form": "C3"},
                   linestyle={"agreement": "-", "logit form": "-", "hidden-state form": "--"})
            .label(x=BETA_U_LABEL, y="", color="", linestyle="", title=str))
    fig = draw(plot, (10.5, 2.2 * long.pair.nunique() + 0.6))
    mark_named_methods(fig.axes)
    return fig


def forms_summary_figure(summary: pd.DataFrame):
    """The forms' comparison in one panel: per pair, the hidden-state form's test macro-F1 minus the logit form's, at
    β_u = −1 and with each form's own validation-chosen β_u."""
    columns = {"F1 hidden minus logit at beta_u = -1": "at β_u = −1", "hidden minus logit": "each form's chosen β_u"}
    long = summary.assign(pair=pair_labels(summary)).melt(id_vars="pair", value_vars=list(columns), var_name="where",
                                                          value_name="difference")
    long["where"] = long["where"].map(columns)
    return change_dots(long, x="difference", hue="where", palette=dict(zip(columns.values(), ("tab:red", "tab:blue"))),
                       xlabel="test macro-F1, hidden-state form − logit form", title="Hidden-state against logit form")


def seed_spread(tables):
    """Per pair: the final-layer test macro-F1 of the head retrained with each seed on the same pooled states, its
    spread, and the recomputed run's own (seed 0) beside the committed score."""
    seeds = tables["head_seeds"]
    spread = seeds.groupby(["run", "dataset"], sort=False).test_macro_f1.agg(
        seeds="count", lowest="min", highest="max", standard_deviation=lambda f1: f1.std(ddof=1)).reset_index()
    own = tables["provenance"].set_index(["run", "dataset"])
    spread["committed (seed 0)"] = [own.loc[(r, d), "committed_test_macro_f1"] for r, d in zip(spread.run, spread.dataset)]
    spread["recomputed (seed 0)"] = [own.loc[(r, d), "recomputed_test_macro_f1"] for r, d in zip(spread.run, spread.dataset)]
    return spread


def findings(summary, provenance, spread=None) -> str:
    """What the two forms' comparison says, in sentences, from the computed summary."""
    from lle.experiments.report import Findings

    gap = summary["hidden minus logit"]
    at_dola = summary["F1 hidden minus logit at beta_u = -1"]
    return Findings("\n".join([
        _reproduction_sentence(provenance),
        f"- With LLE's per-sample amateur, the two forms predict the same class for "
        f"{summary['agreement at beta_u = -1'].min():.1%} to {summary['agreement at beta_u = -1'].max():.1%} of test "
        f"samples at β_u = −1 (contrastive decoding / DoLa); the lowest agreement on the grid is "
        f"{summary['lowest agreement'].min():.1%}, and the largest test macro-F1 gap between the forms at one β_u is "
        f"{summary['largest |F1 gap| over beta_u'].max():.4f}. At β_u = −1 the hidden-state form's test macro-F1 "
        f"minus the logit form's is {at_dola.mean():+.4f} on average (range {at_dola.min():+.4f} to "
        f"{at_dola.max():+.4f}; lower in {int((at_dola < 0).sum())} of {len(at_dola)} pairs; point estimates on test, "
        "no significance test).",
        f"- Each form with its own validation-selected β_u: test macro-F1 of the hidden-state form minus the logit "
        f"form is {gap.mean():+.4f} on average (range {gap.min():+.4f} to {gap.max():+.4f}); the hidden-state form is "
        f"higher in {int((gap > 0).sum())} of {len(gap)} pairs, lower in {int((gap < 0).sum())}, tied in "
        f"{int((gap == 0).sum())}. The head is Linear–ReLU–Linear, so the forms coincide only at β_u = 0 and 1.",
        *([] if spread is None else [
            f"- The head itself is seed-sensitive: retrained with {int(spread.seeds.min())} seeds on the same pooled "
            f"states, the final layer's test macro-F1 has a standard deviation of {spread.standard_deviation.min():.3f} "
            f"to {spread.standard_deviation.max():.3f} across these pairs (widest range "
            f"{(spread.highest - spread.lowest).max():.3f}). Paired comparisons on one trained model (Table 1) are not "
            "affected, but a difference between two separately trained heads smaller than that is within seed noise."]),
    ]))


def _reproduction_sentence(provenance) -> str:
    """Which recomputed pairs give back the committed scores, and what the others give instead."""
    same = provenance[provenance.reproduces_committed]
    other = provenance[~provenance.reproduces_committed]
    sentence = (f"- Computed on {len(provenance)} frozen-head pairs, each recomputed from the model and the data (pooled "
                f"states, then the seeded head); both forms are read from the recomputed head. {len(same)} of "
                f"{len(provenance)} give back the committed scores to within 1e-4 in log-probability"
                + (f" (largest difference {same.max_abs_difference_to_committed.max():.1e})" if len(same) else ""))
    if len(other):
        moved = other.recomputed_test_macro_f1 - other.committed_test_macro_f1
        sentence += ("; the others do not (" + "; ".join(
            f"{r.run} / {r.dataset}: largest difference {r.max_abs_difference_to_committed:.2f}, final-layer test "
            f"macro-F1 {r.committed_test_macro_f1:.3f} committed, {r.recomputed_test_macro_f1:.3f} recomputed"
            for r in other.itertuples()) + f"). Their final-layer test macro-F1 moves by {moved.min():+.3f} to "
            f"{moved.max():+.3f}, the size of the head's seed spread below: the head's training amplifies small "
            "numerical differences (we did not establish which). Every table still reads the committed scores")
    return sentence + "."
