"""Authentication: who is asking, checked before anything else."""
