"""Practice-management systems: talking to Open Dental and syncing its data."""
