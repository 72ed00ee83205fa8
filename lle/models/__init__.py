"""Model plumbing (needs torch and transformers: ``pip install lle[models]``).

``architectures`` is the one table of supported architectures; ``resolve`` finds offline copies or Hub ids;
``readout`` reads every layer out through a classifier head or the logit lens; ``features`` extracts per-layer
states for probes; ``steering`` adds vectors to a layer's output; ``device`` places a model. Training lives in
:mod:`lle.training`. Import the submodules directly; this package imports
nothing heavy by itself.
"""
