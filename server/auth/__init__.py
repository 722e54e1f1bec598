"""Authentication: who is asking (web user session or app user key), checked before anything else."""
