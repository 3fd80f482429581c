"""Models of the documents app: issued documents and their numbering, deliveries, seal and
signature images, and the scans and photos attached to a household."""

from .attachments import Attachment, AttachmentKind
from .delivery import Delivery, DeliveryMethod, DeliveryOutcome, PhoneNotification
from .district import DistrictReport
from .images import SignatureImage, TownshipSeal
from .issued import DocumentCounter, ImmutableDocumentError, IssuedDocument

__all__ = [
    "Attachment",
    "AttachmentKind",
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
