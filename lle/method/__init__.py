"""LLE's method, needing numpy only: the math (:mod:`~lle.method.core`), the vectorized grid
(:mod:`~lle.method.grid`), one configuration as a value (:mod:`~lle.method.config`), how the papers write the
contrastive strength (:mod:`~lle.method.conventions`), the metrics (:mod:`~lle.method.metrics`) and the input checks
they share (:mod:`~lle.method._validate`). The public names are re-exported by :mod:`lle`."""
