"""The emotion-vector stage (about an hour on a CPU; resumable per model): extraction and separation for every
model, then the steering sweep of the two decoders (the judge classifier is trained once, minutes).

    python scripts/compute_emotion.py [--models SmolLM2-135M-Instruct ...] [--no-steering]
"""
import argparse

import torch

from lle.context import emotion_stage, steering_study

N_PER_EMOTION = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=list(emotion_stage.MODELS))
    parser.add_argument("--no-steering", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for model in args.models:
        record = emotion_stage.extract(model, n_per_emotion=N_PER_EMOTION)
        print(model, "extracted in", record["seconds"], "s", flush=True)
    if not args.no_steering:
        for model in args.models:
            if emotion_stage.MODELS[model][1]:
                steering_study.sweep(model)
                print(model, "steered", flush=True)


if __name__ == "__main__":
    main()
