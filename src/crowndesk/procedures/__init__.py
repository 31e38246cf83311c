"""Procedure codes, fee schedules and fees, and procedures with their billing status."""
