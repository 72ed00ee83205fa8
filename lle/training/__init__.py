"""Training the paper's head (needs torch): ``recipe`` (the paper's recipes and each model family's defaults),
``loops`` (fine-tuning and head training, resumable and deterministic), ``checkpoints`` (rolling resumable state),
``surgery`` (freezing the bottom of a network, the frozen-bottom cache) and ``parallel`` (data-parallel launches).
Import the submodules directly; this package imports nothing heavy by itself.
"""
