"""Open Dental: the API client (`client`), wire formats and record mapping."""

from crowndesk.pms.opendental.client import (
    ConnectionSettings,
    OpenDentalAuthError,
    OpenDentalBadResponse,
    OpenDentalClient,
    OpenDentalError,
    OpenDentalRequestError,
    OpenDentalUnavailable,
    Probe,
    QueriesNotPermitted,
)

__all__ = [
    "ConnectionSettings",
    "OpenDentalAuthError",
    "OpenDentalBadResponse",
    "OpenDentalClient",
    "OpenDentalError",
    "OpenDentalRequestError",
    "OpenDentalUnavailable",
    "Probe",
    "QueriesNotPermitted",
]
