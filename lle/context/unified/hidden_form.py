"""The unified view's two forms: mixing layers in logit space, ``(1−β_u)·head(h_L) + β_u·head(h_ℓ)``
(:func:`lle.context.unified.method.guided_log_probs`, what LLE and contrastive decoding do), or in hidden-state space,
``head((1−β_u)·h_L + β_u·h_ℓ)``. They agree for every β_u when the head is affine (the weights 1−β_u and β_u sum
to one, so the bias passes through) and at β_u = 0 and 1 for any head; the paper's head is Linear–ReLU–Linear, so
in between they can differ. Pure tensors here: a head module and pooled states, no model.
"""

from __future__ import annotations

import numpy as np
import torch

from lle.context.unified.method import distribution_metrics, guided_log_probs, select_on_validation


def layer_log_probs(head: torch.nn.Module, pooled: torch.Tensor) -> np.ndarray:
    """(n, n_layers, n_classes) log-probabilities of the head read at every layer (the early-exit scores)."""
    with torch.inference_mode():
        return torch.log_softmax(head(pooled).double(), dim=-1).numpy()


def hidden_form_log_probs(
    head: torch.nn.Module, pooled: torch.Tensor, layer, unified_beta: float, *, final_layer: int = -1
) -> np.ndarray:
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
            rows.append(
                {
                    "layer": name,
                    "unified_beta": float(beta_u),
                    **{f"logit_{k}": v for k, v in distribution_metrics(logit, labels).items()},
                    **{f"hidden_{k}": v for k, v in distribution_metrics(hidden, labels).items()},
                    "agreement": float(np.mean(logit.argmax(1) == hidden.argmax(1))),
                }
            )
    return rows


def selected_forms(validation_rows: list[dict], test_rows: list[dict]) -> list[dict]:
    """Per layer choice and form, β_u chosen on validation macro-F1 (ties: smallest ``|β_u|``), with its test numbers."""
    test = {(r["layer"], r["unified_beta"]): r for r in test_rows}
    chosen = []
    for form in ("logit", "hidden"):
        as_unified = [
            {"layer": r["layer"], "alpha": None, "unified_beta": r["unified_beta"], "macro_f1": r[f"{form}_macro_f1"]}
            for r in validation_rows
        ]
        for (layer, _), beta_u in select_on_validation(as_unified).items():
            row = test[layer, beta_u]
            chosen.append(
                {
                    "layer": layer,
                    "form": form,
                    "unified_beta": beta_u,
                    "test_macro_f1": row[f"{form}_macro_f1"],
                    "test_ece": row[f"{form}_ece"],
                    "test_agreement_at_beta": row["agreement"],
                }
            )
    return chosen


# --- presentation (notebook 09) ---------------------------------------------------------------------------------
