"""The unified view of layer contrast: interpolation and extrapolation between the final layer and an earlier one on
one axis, β_u (:mod:`~lle.context.unified.method`; the hidden-state form in :mod:`~lle.context.unified.hidden_form`),
swept over the cached runs (:mod:`~lle.context.unified.stage`) and reported (:mod:`~lle.context.unified.report`)."""
