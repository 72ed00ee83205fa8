"""The comparisons that put LLE in context, one package each, in one shape:

* ``method`` — the source's method, pure and tested (numpy, torch tensors or scikit-learn; no files);
* ``stage`` — compute it on our models and data and cache the result with its provenance (:mod:`lle.context.cache`),
  resumable: ``compute_stage(...)`` runs what is missing, ``load_results(...)`` reads what is cached;
* ``report`` — tables, figures, claims with their rules (:mod:`lle.claims.registry`) and findings in sentences;
  ``open_<comparison>(...)`` is the one setup call of its notebook.

Packages: :mod:`lle.context.unified` (the interpolation/extrapolation axis, notebook 09), :mod:`lle.context.stc`
(Sparsify-then-Classify layer-wise probes, notebook 10), :mod:`lle.context.emotion` (emotion vectors, layer
localization and steering, notebook 11). The backbones and the LLE run beside each are in
:mod:`lle.models.backbones`.
"""
