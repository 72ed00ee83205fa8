"""Emotion vectors, where emotion lives in depth, and steering with them (after Jeong, *Extracting and Steering
Emotion Representations in Small Language Models*): the methods in :mod:`~lle.context.emotion.method`, the steering
judge in :mod:`~lle.context.emotion.judge`, extraction, separation and the steering sweep cached in
:mod:`~lle.context.emotion.stage`, tables, figures and findings in :mod:`~lle.context.emotion.report`.

Steering small LMs with emotion vectors (after Jeong): a seeded layer × coefficient sweep on neutral prompts,
each generation judged by an external goEmotions classifier and by its perplexity under the unsteered model.

* **Vectors**: generation-based, last-token (:mod:`lle.context.emotion.stage`), unit length, scaled by
  ``coefficient × the mean norm of that layer's states`` so a coefficient means the same at every depth.
* **Steering**: added to the residual stream at the chosen layer from the prompt's end on
  (:func:`lle.models.steering.steering`), left-padded prompts, ``n_samples`` seeded samples per prompt.
* **Judge**: the frozen all-MiniLM-L6-v2 backbone with the paper's head trained on the single-label goEmotions
  train split (:func:`lle.context.emotion.judge.judge`), reading the generated continuation only; its test
  macro-F1 is reported beside.
* **Regimes** of a (emotion, layer, coefficient) cell, thresholds ours: *repetitive collapse* when the mean share
  of distinct tokens in a continuation is below :data:`~lle.context.emotion.method.COLLAPSE_DISTINCT`; else
  *explosive* when the perplexity ratio to the unsteered generations exceeds
  :data:`~lle.context.emotion.method.EXPLOSIVE_PPL_RATIO`; else *surgical*.
* **Success** of a scenario (model, emotion, layer): some coefficient in the surgical regime raises the share of
  continuations the judge labels with the target emotion by at least
  :data:`~lle.context.emotion.method.SUCCESS_GAIN` over the unsteered ones.
"""
