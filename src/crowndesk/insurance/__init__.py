"""Carriers, plans, subscribers, patients' coverage and benefits."""
