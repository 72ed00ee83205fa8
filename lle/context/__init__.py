"""Reserved for the comparisons that put LLE in context (the unified interpolation/extrapolation view,
Sparsify-then-Classify probes, emotion vectors and steering). Each will be a module of its own here, built on
:mod:`lle.experiments.analysis`; none has landed yet."""
