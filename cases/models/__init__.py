"""Models of the cases app, one module per subject."""

from .access import AccessLog
from .calendar import CalendarYear, HolidayOverride
from .case import Case, CaseNumberCounter
from .deadlines import Deadline, DeadlineKind, DeadlineStatus, DeadlineUnit
from .events import CaseEvent
from .evidence import (
    Appraisal,
    HomeVisit,
    Objection,
    VerificationAuthorization,
    VerificationReport,
)
from .notifications import (
    DeliveryChannel,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationKind,
    NotificationLevel,
    NotificationProfile,
)
from .org import (
    OrgChange,
    Township,
    TownshipKind,
    TownshipUserObjectPermission,
    Village,
    VillageKind,
    VillageUserObjectPermission,
)
from .people import (
    DisabilityGrade,
    DisabilityType,
    Gender,
    HealthStatus,
    Household,
    HukouType,
    LabourCapacity,
    Membership,
    Person,
    Relationship,
)

__all__ = [
    "Appraisal",
    "CalendarYear",
    "Case",
    "CaseEvent",
    "CaseNumberCounter",
    "Deadline",
    "DeadlineKind",
    "DeadlineStatus",
    "DeadlineUnit",
    "HolidayOverride",
    "HomeVisit",
    "Objection",
    "DeliveryChannel",
    "DeliveryStatus",
    "Notification",
    "NotificationDelivery",
    "NotificationKind",
    "NotificationLevel",
    "NotificationProfile",
    "VerificationAuthorization",
    "VerificationReport",
    "AccessLog",
    "DisabilityGrade",
    "DisabilityType",
    "Gender",
    "HealthStatus",
    "Household",
    "HukouType",
    "LabourCapacity",
    "Membership",
    "OrgChange",
    "Person",
    "Relationship",
    "Township",
    "TownshipKind",
    "TownshipUserObjectPermission",
    "Village",
    "VillageKind",
    "VillageUserObjectPermission",
]
