"""One process of the determinism test (tests/runs/test_pipeline.py): computes the three modes on tiny random models and a
small dataset of random words, into OUT, with the given thread count.

    python tests/determinism_worker.py OUT THREADS
"""

import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def main(out: Path, threads: int) -> None:
    os.environ["LLE_CACHE_DIR"] = str(out / "cache")
    import tiny_models
    import torch

    from lle import data
    from lle.models import resolve
    from lle.models.resolve import ResolvedModel
    from lle.runs import pipeline

    torch.set_num_threads(threads)
    name = {"tiny-bert": "bert", "tiny-llama": "llama"}
    pipeline.load_tokenizer = resolve.load_tokenizer = lambda model_id: tiny_models.tiny_tokenizer()
    pipeline.load_backbone = lambda model: tiny_models.build(name[model.hub_id])
    pipeline.load_causal_lm = lambda model: tiny_models.build(name[model.hub_id], causal_lm=True)
    pipeline.resolve_model = lambda model_id: ResolvedModel(model_id, "memory", "test", None, None)
    rng = np.random.default_rng(0)
    files = {}
    for split, n in (("train", 48), ("validation", 24), ("test", 24)):
        files[split] = out / f"{split}.csv"
        files[split].write_text(
            "text,label\n"
            + "".join(
                f"{' '.join(rng.choice(tiny_models.WORDS, 6))},{('calm', 'angry', 'happy')[i % 3]}\n" for i in range(n)
            )
        )
    source = data.FileDataset("mine", files)
    runs = [
        pipeline.Run(
            "finetune",
            pipeline.Recipe(
                "tiny-bert", "mine", epochs=1, learning_rate=1e-3, preprocessing=False, max_length=16, batch_size=8
            ),
        ),
        pipeline.Run(
            "frozen",
            pipeline.Recipe(
                "tiny-llama",
                "mine",
                mode="frozen",
                epochs=2,
                pooling="mean",
                preprocessing=False,
                max_length=16,
                batch_size=8,
            ),
        ),
        pipeline.Run(
            "zeroshot",
            pipeline.Recipe(
                "tiny-llama",
                "mine",
                mode="zeroshot",
                epochs=0,
                preprocessing=False,
                max_length=16,
                label_words=("calm", "angry", "happy"),
            ),
        ),
    ]
    for run in runs:
        plan = pipeline.plan_run(run, source=source, progress=False)
        pipeline.compute_run(plan, results_root=out / "results", progress=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
