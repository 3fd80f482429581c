"""Models of the documents app: issued documents and their numbering, deliveries, seal and
signature images."""

from .delivery import Delivery, DeliveryMethod, DeliveryOutcome, PhoneNotification
from .district import DistrictReport
from .images import SignatureImage, TownshipSeal
from .issued import DocumentCounter, ImmutableDocumentError, IssuedDocument

__all__ = [
    "Delivery",
    "DeliveryMethod",
    "DeliveryOutcome",
    "DistrictReport",
    "DocumentCounter",
    "ImmutableDocumentError",
    "IssuedDocument",
    "PhoneNotification",
    "SignatureImage",
    "TownshipSeal",
]
