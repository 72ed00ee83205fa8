"""Cost of reading out every layer vs the plain forward pass that gives the final prediction (MiniLM).

Both sides run the same batches of goEmotions validation texts through the same model; runs alternate
(plain, all-layers, plain, ...) and the median of the repeats is reported, so background load affects both alike.
"""

import argparse
import statistics
import time

import torch

from lle import data
from lle.models.readout import EarlyExitClassifier, pad_batch, tokenize
from lle.models.resolve import load_backbone, load_tokenizer

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    tokenizer = load_tokenizer(MODEL)
    model = EarlyExitClassifier(load_backbone(MODEL), 28).eval()
    texts = data.load_dataset("goemotions", "validation")["text"][: args.texts]
    token_lists = tokenize(tokenizer, texts, max_length=40)
    batches = [
        pad_batch(tokenizer, token_lists[i : i + args.batch_size]) for i in range(0, len(texts), args.batch_size)
    ]

    def timed(function):
        start = time.perf_counter()
        with torch.inference_mode():
            for inputs in batches:
                function(**inputs)
        return time.perf_counter() - start

    timed(model.layer_logits)  # warm-up
    plain, every_layer = [], []
    for _ in range(args.repeats):
        plain.append(timed(model.forward))
        every_layer.append(timed(model.layer_logits))
    plain_s, layers_s = statistics.median(plain), statistics.median(every_layer)
    n_layers = model.backbone.config.num_hidden_layers + 1
    print(
        f"{len(texts)} goEmotions validation texts, batch {args.batch_size}, {torch.get_num_threads()} threads, "
        f"median of {args.repeats}"
    )
    print(f"plain forward (final layer only): {plain_s:7.3f} s")
    print(f"readout of all {n_layers} layers:      {layers_s:7.3f} s")
    print(
        f"overhead:                         {100 * (layers_s / plain_s - 1):+7.1f} %  (ratio {layers_s / plain_s:.3f})"
    )


if __name__ == "__main__":
    main()
