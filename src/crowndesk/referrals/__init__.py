"""Referral sources and the referrals attached to patients."""
