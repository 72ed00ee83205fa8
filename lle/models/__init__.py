"""Model plumbing (needs torch and transformers: ``pip install lle[models]``).

``architectures`` is the one table of supported architectures; ``resolve`` finds offline copies or Hub ids;
``readout`` reads every layer out through a classifier head or the logit lens; ``recipe``, ``surgery``,
``checkpoints`` and ``training`` train the paper's head. Import the submodules directly; this package imports
nothing heavy by itself.
"""
