"""Patient payments, their splits and account adjustments."""
