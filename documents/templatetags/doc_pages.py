"""Staff-page tags for documents: `{% load doc_pages %}{% case_documents case %}` lists a
case's issued documents with download, delivery and bundle links (for the case page)."""

from django import template
from django.db.models import Exists, OuterRef

from documents.kinds import APPLICANT_NOTICE_KINDS, DELIVERY_REQUIRED_KINDS
from documents.models import Delivery, DeliveryOutcome, PhoneNotification
from documents.selectors import case_documents as select_case_documents

register = template.Library()


@register.inclusion_tag("documents/pages/_case_documents.html")
def case_documents(case):
    documents = select_case_documents(case).annotate(
        delivered=Exists(Delivery.objects.filter(document=OuterRef("pk"),
                                                 outcome=DeliveryOutcome.DELIVERED)),
        phoned=Exists(PhoneNotification.objects.filter(document=OuterRef("pk"))),
    ).select_related("superseded_by")
    rows = [{
        "document": d,
        "deliverable": d.kind in APPLICANT_NOTICE_KINDS,
        "must_deliver": d.kind in DELIVERY_REQUIRED_KINDS,
    } for d in documents]
    return {"case": case, "rows": rows}
