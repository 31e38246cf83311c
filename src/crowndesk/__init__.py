"""CrownDesk: revenue-cycle and practice-workflow platform beside Open Dental."""

__version__ = "0.1.0"
