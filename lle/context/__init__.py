"""The comparisons that put LLE in context, each built on :mod:`lle.experiments.analysis`:

* :mod:`lle.context.unified` — the unified interpolation/extrapolation axis (notebook 09);
* :mod:`lle.context.stc`, :mod:`~lle.context.stc_features`, :mod:`~lle.context.stc_stage`,
  :mod:`~lle.context.stc_report` — Sparsify-then-Classify layer-wise probes (notebook 10);
* :mod:`lle.context.emotion`, :mod:`~lle.context.emotion_stage`, :mod:`~lle.context.steering_study`,
  :mod:`~lle.context.localization` — emotion vectors, layer localization and steering (notebook 11).
"""
