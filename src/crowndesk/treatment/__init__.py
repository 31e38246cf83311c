"""Treatment plans and their planned procedures (live links and saved, frozen copies)."""
