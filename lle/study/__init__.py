"""LLE's own study: the analyses behind each table and figure of the paper (Table 1, target layer,
stability, neutral bias, distance), their figures and prose, the explorer and the theory notebook's numbers."""
