"""One ``lle run`` (or ``lle evaluate``) in its own process, on tiny random models, for the fault tests
(tests/store/test_run_folders.py): they kill it at a named point (LLE_FAULT_AT), run two at once, or fill its disk.

    python tests/run_worker.py CACHE_DIR lle-arguments...

Exits with the command's exit status (2 for a user error, which it prints on one line).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def main(cache: str, argv: list[str]) -> int:
    os.environ["LLE_CACHE_DIR"] = cache
    import tiny_models
    import torch

    from lle import cli
    from lle.models import resolve
    from lle.models.resolve import ResolvedModel
    from lle.runs import pipeline

    torch.set_num_threads(1)
    name = {"tiny-bert": "bert", "tiny-llama": "llama"}
    pipeline.load_tokenizer = resolve.load_tokenizer = lambda model_id: tiny_models.tiny_tokenizer()
    pipeline.load_backbone = lambda model: tiny_models.build(name[model.hub_id])
    pipeline.load_causal_lm = lambda model: tiny_models.build(name[model.hub_id], causal_lm=True)
    pipeline.resolve_model = lambda model_id: ResolvedModel(model_id, "memory", "test", None, None)
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
