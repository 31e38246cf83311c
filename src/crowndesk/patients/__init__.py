"""Patients and families (a family is everyone who shares a guarantor)."""
