"""The comparisons that put LLE in context, each a module built on :mod:`lle.experiments.analysis`:
:mod:`lle.context.unified` (the unified interpolation/extrapolation axis). Sparsify-then-Classify probes, emotion
vectors and steering have not landed yet."""
