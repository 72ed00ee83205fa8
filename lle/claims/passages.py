"""Which passage of its source each registry claim tests: one table, read when a source's claims are written
(:func:`lle.claims.registry.write_claims`), so every row of ``claims_<source>.csv`` names its passage.

A claim is matched by the start of its text; every claim must match exactly one entry of its source, so a claim
added without its passage fails loudly instead of going out unnamed. Passages are named by what the source shows
(its table, figure or stated result) in the words the registry quotes; the package's own extensions and questions
name the passage they extend, or say that no passage of the source makes them.
"""

from __future__ import annotations

import pandas as pd

OURS = "none (ours): "

PASSAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "lle": (
        (
            "LLE (dynamic beta) beats standard",
            "Table 1: macro-F1 of standard, static-beta and dynamic-beta (LLE) classification per model and dataset",
        ),
        ("static-beta contrastive classification", "Table 1: static-beta contrastive classification against standard"),
        (
            "our extension: static beta over the released grid",
            OURS + "Table 1's static claim over the released code's grid, whose beta = -0.25 is an interpolation",
        ),
        ("dynamic beta beats static beta", "Table 1: dynamic against static beta"),
        (
            "on goEmotions, extrapolating further raises recall",
            "Figure 2: precision and recall on goEmotions as the target layer moves further",
        ),
        (
            "our extension: extrapolating further raises recall",
            OURS + "Figure 2's goEmotions trend on all three datasets",
        ),
        (
            "our extension: extrapolating further lowers precision",
            OURS + "the precision side of Figure 2, which the paper does not claim",
        ),
        (
            "dynamic beta is less sensitive",
            "Figure 3: macro-F1 against the earliest candidate layer, static and dynamic beta",
        ),
        (
            "LLE's changes mostly move goEmotions predictions away from neutral",
            "the neutral-bias analysis (Table 2): LLE's changed goEmotions predictions start from neutral",
        ),
        (
            "LLE's emotion-to-emotion changes keep polarity",
            "Table 3: the most frequent emotion-to-emotion changes keep their polarity",
        ),
        ("LLE's emotion-to-emotion changes correct more", "Table 3: the changes are corrections"),
        (
            "LLE's named corrections",
            "Table 3 and its discussion: sadness -> pessimism and joy -> optimism as corrections",
        ),
        (
            "across layers the correct class rises",
            "the heatmaps of per-layer class probabilities on chosen examples: the correct class rises",
        ),
        (
            "across layers neutral stays flat",
            "the heatmaps of per-layer class probabilities on chosen examples: neutral stays flat",
        ),
        (
            "our question, not a claim of the paper",
            OURS + "the paper names JSD as the amateur's distance, its released code computes 1 - cos/2",
        ),
    ),
    "unified": (
        (
            "extrapolating away from an earlier layer sharpens",
            "the unified view: extrapolation (beta_u < 0) sharpens the distribution",
        ),
        (
            "extrapolation helps accuracy",
            "the unified view: extrapolation away from an earlier layer improves accuracy",
        ),
        (
            "our extension: the validation-selected point",
            OURS + "the accuracy claim over the whole axis, interpolation included",
        ),
        (
            "interpolating toward an earlier layer improves calibration",
            "the unified view: interpolation (0 < beta_u < 1) improves calibration",
        ),
        (
            "logit extrapolation acts like temperature sharpening",
            "the unified view: when an earlier layer's "
            "logits are nearly a multiple of the final layer's, extrapolation acts like a temperature",
        ),
        ("our extension, every pair:", OURS + "the temperature claim without its condition"),
        ("DoLa sits at beta_u = -1", "the unified view's placement of DoLa on the axis"),
        ("our derivation: DoLa is the far end", OURS + "the placement derived in notebook 00 (beta_u -> -infinity)"),
        (
            "mixing hidden states equals mixing logits",
            "the unified view: for a linear head the hidden-state and logit forms coincide",
        ),
        ("DoLa is weak in small models", "the unified view: DoLa's gains shrink in small models"),
        (
            "too early an amateur adds noise",
            "the unified view's sensitivity to the amateur's depth: too early a layer adds noise",
        ),
        (
            "too late an amateur makes the contrast vanish",
            "the unified view's sensitivity to the amateur's depth: too late a layer makes the contrast vanish",
        ),
        ("the final layers sharpen", "the unified view: the final layers sharpen the prediction"),
    ),
    "stc": (
        (
            "aggregating the kept neurons of layers 0..l beats",
            "STC's main result: aggregating the sparsified layers beats the best single layer",
        ),
        ("STC beats the sentence-embedding baseline", "STC's main result against the sentence-embedding baseline"),
        (
            "aggregating the first 60% of the layers",
            "STC's layer study: 60% of the layers suffice (93.11 against 94.72 accuracy)",
        ),
        ("STC on fine-tuned backbones", "STC applied to fine-tuned models"),
        ("a single-layer L1 probe", "STC's single-layer probe against logistic regression"),
        ("STC's cost is small", "STC's cost figures"),
    ),
    "emotion": (
        (
            "generation-based emotion vectors separate",
            "Jeong: generation-based vectors separate emotions better than comprehension-based ones",
        ),
        ("emotion is most separable at mid depth", 'Jeong: separation is "U-shaped" over depth, peaking at about 50%'),
        ("emotion separation is not an artefact of anisotropy", "Jeong: the anisotropy control"),
        ("steering with emotion vectors succeeds", "Jeong: steering succeeds in 37 of 40 scenarios"),
        (
            "the steering regimes are separated by model architecture",
            "Jeong: the steering regimes are separated by architecture rather than scale",
        ),
        ("our weaker variant: steering shows all three regimes", OURS + "the three regimes occurring at all"),
        (
            "the generation advantage is modulated by instruction tuning",
            "Jeong: instruction tuning modulates the generation advantage",
        ),
        ("emotion representations are entangled across languages", "Jeong: cross-lingual entanglement (Qwen)"),
    ),
}


def passage_of(source: str, claim: str) -> str:
    """The passage of ``source`` that ``claim`` tests; raises when no entry, or more than one, matches."""
    if source not in PASSAGES:
        raise KeyError(f"no passages for source {source!r}; known: {sorted(PASSAGES)}")
    found = [passage for start, passage in PASSAGES[source] if claim.startswith(start)]
    if len(found) != 1:
        raise KeyError(
            f"claim {claim!r} of {source!r} matches {len(found)} passages in "
            "lle/claims/passages.py (it needs exactly one): add or narrow its entry"
        )
    return found[0]


def with_passages(source: str, claims: pd.DataFrame) -> pd.DataFrame:
    """``claims`` with the ``passage`` column: a row's own non-empty passage kept, :func:`passage_of` for the
    others."""
    given = claims["passage"] if "passage" in claims else pd.Series([""] * len(claims), index=claims.index)
    return claims.assign(
        passage=[
            text if isinstance(text, str) and text else passage_of(source, claim)
            for claim, text in zip(claims.claim, given)
        ]
    )
