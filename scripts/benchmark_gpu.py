"""make benchmark-gpu: the package's training step and all-layer readout against plain PyTorch, on random-weight
models with the exact configurations of the paper's backbones (no downloads): deberta-v3-large and the FLAN-T5
large / XL encoders. Reports examples per second and peak GPU memory; on a machine without a GPU it runs on the
CPU (use --models tiny there: the paper-sized models are slow on a CPU).

Targets (issue 13): the package's training step at >= 0.95x the plain loop's throughput, the all-layer readout at
<= 1.05x the plain forward pass's time."""

import argparse
import json
import sys
import time

import torch
import transformers

from lle.models.device import autocast, check_precision, resolve_device
from lle.models.readout import EarlyExitClassifier
from lle.training.loops import train_step

CONFIGS = {
    "deberta-v3-large": lambda: transformers.DebertaV2Config(
        vocab_size=128100,
        hidden_size=1024,
        num_hidden_layers=24,
        num_attention_heads=16,
        intermediate_size=4096,
        max_position_embeddings=512,
        relative_attention=True,
        position_buckets=256,
        norm_rel_ebd="layer_norm",
        share_att_key=True,
        pos_att_type=["p2c", "c2p"],
        max_relative_positions=-1,
        position_biased_input=False,
        type_vocab_size=0,
        layer_norm_eps=1e-7,
    ),
    "flan-t5-large-encoder": lambda: transformers.T5Config(
        vocab_size=32128,
        d_model=1024,
        d_kv=64,
        d_ff=2816,
        num_layers=24,
        num_heads=16,
        feed_forward_proj="gated-gelu",
        is_gated_act=True,
    ),
    "flan-t5-xl-encoder": lambda: transformers.T5Config(
        vocab_size=32128,
        d_model=2048,
        d_kv=64,
        d_ff=5120,
        num_layers=24,
        num_heads=32,
        feed_forward_proj="gated-gelu",
        is_gated_act=True,
    ),
    "tiny": lambda: transformers.BertConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64
    ),
}


def backbone(name: str):
    config = CONFIGS[name]()
    torch.manual_seed(0)
    if isinstance(config, transformers.T5Config):
        return transformers.T5EncoderModel(config)
    return transformers.AutoModel.from_config(config)


def batches(vocab: int, batch: int, length: int, steps: int, device):
    generator = torch.Generator().manual_seed(0)
    for _ in range(steps):
        ids = torch.randint(3, vocab, (batch, length), generator=generator)
        yield (
            {"input_ids": ids.to(device), "attention_mask": torch.ones_like(ids).to(device)},
            torch.randint(0, 28, (batch,), generator=generator),
        )


def timed(function, device, steps: int) -> float:
    """Seconds for ``steps`` calls after one warm-up call (synchronized on a GPU)."""
    function()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        function()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure(name: str, *, batch: int, length: int, steps: int, device, precision: str) -> dict:
    model = EarlyExitClassifier(backbone(name), 28, pooling="cls").to(device)
    vocab = model.backbone.config.vocab_size
    data = list(batches(vocab, batch, length, steps + 1, device))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-5)
    scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None
    feed = iter(data * 4)

    def package_step():
        inputs, labels = next(feed)
        train_step(model, inputs, labels, optimizer, scaler, device, precision)

    def plain_step():  # the same model and loss written as a plain PyTorch loop
        inputs, labels = next(feed)
        with autocast(device, precision):
            hidden = model.backbone(**inputs).last_hidden_state[:, 0]
            loss = torch.nn.functional.cross_entropy(model.head(hidden).float(), labels.to(device))
        (scaler.scale(loss) if scaler else loss).backward()
        (scaler.step(optimizer), scaler.update()) if scaler else optimizer.step()
        optimizer.zero_grad()

    def readout():
        with torch.inference_mode(), autocast(device, precision):
            model.layer_logits(**data[0][0])

    def forward():
        with torch.inference_mode(), autocast(device, precision):
            model(**data[0][0])

    model.train()
    package, plain = timed(package_step, device, steps), timed(plain_step, device, steps)
    model.eval()
    all_layers, final_only = timed(readout, device, steps), timed(forward, device, steps)
    memory = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    return {
        "model": name,
        "device": str(device),
        "precision": precision,
        "batch": batch,
        "length": length,
        "package_train_ex_per_s": batch * steps / package,
        "plain_train_ex_per_s": batch * steps / plain,
        "train_ratio": plain / package,
        "readout_over_forward": all_layers / final_only,
        "peak_memory_gib": memory,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--models",
        nargs="+",
        default=["deberta-v3-large", "flan-t5-large-encoder", "flan-t5-xl-encoder"],
        choices=sorted(CONFIGS),
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16"))
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--length", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    check_precision(args.precision, device)
    for name in args.models:
        print(
            json.dumps(
                measure(
                    name,
                    batch=args.batch,
                    length=args.length,
                    steps=args.steps,
                    device=device,
                    precision=args.precision,
                )
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
