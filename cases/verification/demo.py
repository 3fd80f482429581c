"""Demo data for verification: agreements for the demo officers and scans of the demo cases'
authorizations, so the verification pages work in the demo (with the simulated source, which
is on when DEBUG is). Idempotent; for `cases.demo.seed_all`, never for production."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from cases import scoping
from cases.models import Case
from cases.permissions import Role
from cases.verification import access
from cases.workflow import AUTHORIZATION_KINDS, CaseStatus


def _scan(name: str) -> ContentFile:
    """A blank one-page PDF standing in for a signed form (演示用，非真实签字文件): a real
    PDF, since every upload is parsed before it is stored."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return ContentFile(out.getvalue(), name=name)


def seed_verification(*, by) -> dict:
    """Agreements for every verification officer without one, and scans for the
    authorizations of open 低保/特困 cases.

    Args:
        by: a district bureau user or system administrator (files the agreements).

    Returns:
        Counts: ``agreements`` filed and ``scans`` attached.
    """
    from cases import services
    from cases.verification.services import agreement_record

    today = timezone.localdate()
    agreements = scans = 0
    officers = get_user_model().objects.filter(groups__name=Role.VERIFIER.value,
                                               is_active=True).distinct()
    for officer in officers:
        if access.current_agreement(officer) is None:
            # Signed a year ago, so the demo cases verified on the simulated past clock were
            # verified under it.
            start = today - dt.timedelta(days=365)
            agreement_record(user=officer, signed_on=start, valid_from=start,
                             valid_to=today + dt.timedelta(days=365), scan=_scan("agreement.pdf"),
                             by=by, note="演示数据")
            agreements += 1
    open_cases = Case.objects.filter(
        kind__in=list(AUTHORIZATION_KINDS),
        status__in=[CaseStatus.RECEIVED, CaseStatus.INVESTIGATING, CaseStatus.RECHECK])
    for case in open_cases.select_related("township"):
        clerk = next((u for u in get_user_model().objects.filter(
            groups__name=Role.CLERK.value, is_active=True).order_by("pk")
            if scoping.townships_for(u).filter(pk=case.township_id).exists()), None)
        if clerk is None:
            continue
        for auth in case.authorizations.filter(scan="").select_related("person"):
            services.authorization_record(case=case, person=auth.person,
                                          signed_on=auth.signed_on, by=clerk,
                                          scan=_scan("authorization.pdf"))
            scans += 1
    return {"agreements": agreements, "scans": scans}
