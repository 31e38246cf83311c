"""Providers, operatories and appointments."""
