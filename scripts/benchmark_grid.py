"""Vectorized grid evaluator vs a plain loop over lle.classify, on goEmotions-test-sized arrays.

Shape 4,590 samples x 25 layers x 28 classes; the paper's grid: 10 alpha values x 26 target layers
(hidden-state indices 25..50, the paper's 24..49), candidate layers 16..23 (the paper's n_blocks = 15).
Both sides use the same metric code, so the ratio measures the vectorization alone.
"""

import time

import numpy as np

import lle

N_SAMPLES, N_LAYERS, N_CLASSES = 4590, 25, 28
ALPHAS = np.round(np.arange(1, 11) / 10, 1)
TARGETS = np.arange(25, 51)
CANDIDATES = range(16, 24)


def synthetic_scores(seed: int = 0):
    """Logits that sharpen with depth, so amateur selection and plausibility masks are non-trivial."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, N_CLASSES, N_SAMPLES)
    depth = np.linspace(0, 1, N_LAYERS)[None, :, None]
    signal = np.eye(N_CLASSES)[labels][:, None, :] * 4 * depth
    return signal + rng.normal(size=(N_SAMPLES, N_LAYERS, N_CLASSES)), labels


def main():
    scores, labels = synthetic_scores()
    start = time.perf_counter()
    loop_f1 = [
        lle.classification_metrics(
            lle.classify(scores, candidate_layers=CANDIDATES, alpha=alpha, target_layer=target), labels, N_CLASSES
        )["macro_f1"]
        for alpha in ALPHAS
        for target in TARGETS
    ]
    loop_seconds = time.perf_counter() - start

    start = time.perf_counter()
    table = lle.evaluate_grid(scores, labels, candidate_sets=[CANDIDATES], alphas=ALPHAS, target_layers=TARGETS)
    grid_seconds = time.perf_counter() - start

    grid_f1 = table.loc[table.method == "dynamic", "macro_f1"].to_numpy()
    assert np.array_equal(grid_f1, np.asarray(loop_f1)), "grid and loop disagree"
    print(
        f"arrays {scores.shape}, grid {len(ALPHAS)} alpha x {len(TARGETS)} target layers = {len(grid_f1)} configurations"
    )
    print(f"plain loop over lle.classify: {loop_seconds:8.2f} s")
    print(f"lle.evaluate_grid:            {grid_seconds:8.2f} s")
    print(
        f"speed-up:                     {loop_seconds / grid_seconds:8.1f} x  (identical macro-F1 for every configuration)"
    )


if __name__ == "__main__":
    main()
