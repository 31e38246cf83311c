"""Insurance claims, their per-procedure lines and insurance payments."""
