"""Sparsify-then-Classify (Liu, Jiao & Anderson): layer-wise L1 probes and their aggregation
(:mod:`~lle.context.stc.method`), on features of frozen backbones (:mod:`~lle.context.stc.feature_cache`), computed and
cached per backbone and dataset (:mod:`~lle.context.stc.stage`) and set beside LLE (:mod:`~lle.context.stc.report`)."""
