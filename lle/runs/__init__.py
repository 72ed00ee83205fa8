"""Computing runs: the paper's runs and their pipeline, the GPU runs, the cached runs' inventory, training
seeds and recomputing a cached run to verify it."""
