"""Delivery on a clock (S16): a notice that must reach the applicant is due delivered by the end
of the 5th working day after its issue; the clerk's workspace lists what is undelivered and the
sweep reminds the clerk once when it is at risk and once when it is late."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.deadline_state import clock_state
from cases.demo_cases import build_case
from cases.models import DeadlineKind, DeadlineStatus, Notification, NotificationKind
from cases.sweep import sweep_deadlines
from cases.workflow import CaseStatus
from documents.delivery import PhoneRecord, delivery_record
from documents.kinds import DocumentKind
from documents.models import DeliveryMethod, DeliveryOutcome, IssuedDocument
from documents.services import document_correct
from tests.factories import HouseholdFactory, PersonFactory

K = DocumentKind
pytestmark = [pytest.mark.django_db, pytest.mark.clause("S16")]

T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))  # a Monday, no holiday that month
DAY5_LAST_MINUTE = timezone.make_aware(dt.datetime(2026, 3, 9, 23, 59))  # 5th working day
DAY6_MIDNIGHT = timezone.make_aware(dt.datetime(2026, 3, 10, 0, 0))


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def _rejected(village, staff):
    members = [PersonFactory(born=dt.date(1988, 5, 1)), PersonFactory(born=dt.date(1950, 1, 9))]
    with at(T0):
        case = build_case(CaseStatus.REJECTED, household=HouseholdFactory(
            village=village, members=members), days_ago=0, **staff)
    return IssuedDocument.objects.get(case=case, kind=K.REJECTION)


def _deliver(notice, by, moment):
    with at(moment):
        return delivery_record(document=notice, method=DeliveryMethod.IN_PERSON, by=by,
                               outcome=DeliveryOutcome.DELIVERED, attempted_at=timezone.now(),
                               recipient="申请人本人")


def test_the_clock_is_due_at_the_end_of_the_fifth_working_day(village_a, staff):
    notice = _rejected(village_a, staff)
    clock = notice.delivery_deadline
    assert (clock.kind, clock.clause, clock.amount, clock.status) == (
        DeadlineKind.DELIVERY, "S16", 5, DeadlineStatus.OPEN)
    due = timezone.localtime(clock.due_at)
    assert due.date() == dt.date(2026, 3, 9) and (due.hour, due.minute) == (23, 59)
    assert clock_state(clock, DAY5_LAST_MINUTE)[0] == "at_risk"  # not yet late
    assert clock_state(clock, DAY6_MIDNIGHT) == ("breached", "已超期")


def test_delivered_at_23_59_of_day_5_is_on_time(village_a, staff):
    notice = _rejected(village_a, staff)
    _deliver(notice, staff["clerk"], DAY5_LAST_MINUTE)
    notice.delivery_deadline.refresh_from_db()
    assert notice.delivery_deadline.status == DeadlineStatus.MET


def test_delivered_at_midnight_of_day_6_is_late(village_a, staff):
    notice = _rejected(village_a, staff)
    _deliver(notice, staff["clerk"], DAY6_MIDNIGHT)
    notice.delivery_deadline.refresh_from_db()
    assert notice.delivery_deadline.status == DeadlineStatus.MET_LATE


def test_the_working_days_come_from_the_setting(village_a, staff, settings):
    settings.DELIVERY_WORKING_DAYS = 2
    notice = _rejected(village_a, staff)
    assert timezone.localdate(notice.delivery_deadline.due_at) == dt.date(2026, 3, 4)


def test_a_failed_delivery_settles_the_clock_only_with_its_phone_record(village_a, staff):
    notice = _rejected(village_a, staff)
    with at(T0 + dt.timedelta(days=1)):
        delivery_record(document=notice, method=DeliveryMethod.IN_PERSON, by=staff["clerk"],
                        outcome=DeliveryOutcome.FAILED, attempted_at=timezone.now(),
                        failure_reason="家中无人", phone=PhoneRecord(
                            phone_number="13805391234", called_at=timezone.now(),
                            called_by=staff["clerk"], spoke_with="申请人本人",
                            content="告知不予批准决定及救济途径。"))
    notice.delivery_deadline.refresh_from_db()
    assert notice.delivery_deadline.status == DeadlineStatus.MET


def test_a_correction_cancels_the_old_clock_and_starts_its_own(village_a, staff):
    notice = _rejected(village_a, staff)
    with at(T0 + dt.timedelta(days=1)):
        corrected = document_correct(document=notice, by=staff["leader"], reason="理由有误")
    notice.delivery_deadline.refresh_from_db()
    assert notice.delivery_deadline.status == DeadlineStatus.CANCELLED
    assert corrected.delivery_deadline.status == DeadlineStatus.OPEN
    assert corrected.receipts.count() == 1


def test_notices_not_needing_delivery_get_no_clock(village_a, staff):
    notice = _rejected(village_a, staff)
    others = IssuedDocument.objects.filter(case=notice.case).exclude(pk=notice.pk)
    assert others.exists() and not others.filter(delivery_deadline__isnull=False).exists()


def test_the_sweep_reminds_the_clerk_once_at_risk_and_once_late(village_a, staff):
    notice = _rejected(village_a, staff)
    clock = notice.delivery_deadline
    with at(T0 + dt.timedelta(days=1)):  # Tuesday: 5 working days left
        sweep_deadlines()
    assert not Notification.objects.filter(deadline=clock).exists()
    with at(T0 + dt.timedelta(days=3)):  # Thursday: at risk
        sweep_deadlines()
        sweep_deadlines()
    sent = Notification.objects.filter(deadline=clock)
    assert list(sent.values_list("recipient__username", "kind")) == [
        ("clerk_a", NotificationKind.AT_RISK)]
    assert "送达" in sent.get().body
    with at(DAY5_LAST_MINUTE):
        sweep_deadlines()
    assert sent.count() == 1
    with at(DAY6_MIDNIGHT + dt.timedelta(minutes=1)):
        sweep_deadlines()
        sweep_deadlines()
    assert sorted(sent.values_list("recipient__username", "kind")) == sorted([
        ("clerk_a", NotificationKind.AT_RISK), ("clerk_a", NotificationKind.BREACHED)])


def _workspace(client, user, moment) -> str:
    with at(moment):  # sessions expire: log in at the moment the page is read
        client.force_login(user)
        return client.get(reverse("clerk_home")).content.decode()


def _to_deliver(page: str) -> str:
    return page[page.index('id="notices-to-deliver"'):page.index("待我处理")]


def test_the_clerks_workspace_lists_undelivered_notices_with_time_left(client, village_a,
                                                                     staff, clerk_b):
    notice = _rejected(village_a, staff)
    clerk = staff["clerk"]
    section = _to_deliver(_workspace(client, clerk, T0 + dt.timedelta(days=1)))
    assert notice.number in section and "剩余4个工作日" in section  # Tuesday → Monday
    section = _to_deliver(_workspace(client, clerk, DAY6_MIDNIGHT + dt.timedelta(minutes=1)))
    assert notice.number in section and "已超1个工作日" in section and "已超期" in section
    _deliver(notice, clerk, DAY6_MIDNIGHT + dt.timedelta(hours=9))
    page = _workspace(client, clerk, DAY6_MIDNIGHT + dt.timedelta(hours=10))
    assert notice.number not in page and "没有待送达的文书" in page
    # Another township's clerk does not see it.
    assert notice.number not in _workspace(client, clerk_b, T0 + dt.timedelta(days=1))
