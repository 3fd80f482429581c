"""The Celery tasks run eagerly on frozen time: the sweep and its e-mail/SMS copies, delivery at
most once (a worker that dies after claiming never causes a second message), the catch-up
sweep when a worker starts, and periodic review (动态管理) clocks and their service."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from cases import services
from cases.demo_cases import build_case
from cases.models import (
    CaseEvent,
    DeadlineKind,
    DeadlineStatus,
    DeliveryChannel,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationProfile,
)
from cases.notifications import deliver_pending
from cases.sms import LocmemSmsBackend, SmsError
from cases.tasks import (
    _sweep_when_a_worker_starts,
    deliver_notifications_task,
    sweep_deadlines_task,
)
from cases.workflow import CaseKind, CaseStatus
from tests.factories import HouseholdFactory, PersonFactory

S = CaseStatus
pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def staff(clerk_a, verifier_a, leader_a, bureau):
    for user in (clerk_a, leader_a, bureau):
        user.email = f"{user.username}@lanshan.example"
        user.save()
    return {"clerk": clerk_a, "verifier": verifier_a, "leader": leader_a}


@pytest.fixture(autouse=True)
def locmem_sms(settings):
    settings.SMS_BACKEND = "cases.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox = []
    return LocmemSmsBackend.outbox


def _household(village, *, working_age=True):
    born = dt.date(1988, 5, 1) if working_age else dt.date(1948, 5, 1)
    return HouseholdFactory(village=village,
                            members=[PersonFactory(born=born), PersonFactory(born=dt.date(1950,
                                                                                          1, 9))])


def _build(state, village, staff, *, kind=None, working_age=True):
    with at(T0):
        return build_case(state, household=_household(village, working_age=working_age),
                          kind=kind, days_ago=0, **staff)


def _breach(case, kind=DeadlineKind.DECISION):
    deadline = case.deadlines.get(kind=kind)
    return deadline, at(deadline.due_at + dt.timedelta(minutes=5))


# --- The sweep task and the copies it sends ----------------------------------------------------

@pytest.mark.clause("S4")
def test_the_sweep_task_writes_reminders_and_mails_them_once(village_a, staff):
    case = _build(S.INVESTIGATING, village_a, staff)
    deadline, breached = _breach(case)
    with breached:
        first = sweep_deadlines_task.delay().get()
        second = sweep_deadlines_task.delay().get()
    assert first["breached"] == 1 and second["breached"] == 0
    assert Notification.objects.count() == 3  # clerk, leader, bureau
    assert sorted(m.to[0] for m in mail.outbox) == [
        "bureau@lanshan.example", "clerk_a@lanshan.example", "leader_a@lanshan.example"]
    message = next(m for m in mail.outbox if m.to == ["clerk_a@lanshan.example"])
    local = deadline.due_at.astimezone(timezone.get_current_timezone())
    due = f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    assert message.subject == f"超期提醒：案件{case.number}的审核审批时限(20个工作日)已于{due}到期"
    assert case.number in message.body and due in message.body and "已经超期" in message.body
    assert set(NotificationDelivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.SENT}
    # Running the delivery again sends nothing more.
    assert deliver_notifications_task.delay().get()["sent"] == 0
    assert len(mail.outbox) == 3


@pytest.mark.clause("S11")
def test_urgent_reminders_also_go_by_sms_to_a_mobile_on_file(village_a, staff, locmem_sms):
    NotificationProfile.objects.create(user=staff["leader"], mobile="13812345678")
    NotificationProfile.objects.create(user=staff["clerk"], mobile="13900001111",
                                       sms_enabled=False, email_enabled=False)
    case = _build(S.EMERGENCY_REPORTED, village_a, staff, kind=CaseKind.TEMP_EMERGENCY)
    deadline = case.deadlines.get(kind=DeadlineKind.EMERGENCY_AID)
    with at(deadline.start_at + dt.timedelta(hours=12, minutes=1)):
        sweep_deadlines_task.delay()
    assert [m["to"] for m in locmem_sms] == ["13812345678"]
    assert case.number in locmem_sms[0]["text"] and locmem_sms[0]["text"].startswith("【")
    assert "12小时" in locmem_sms[0]["text"]
    assert not NotificationDelivery.objects.filter(address="13900001111").exists()


def test_the_default_sms_backend_writes_to_the_log(settings, caplog, village_a, staff):
    settings.SMS_BACKEND = "cases.sms.LogSmsBackend"
    NotificationProfile.objects.create(user=staff["leader"], mobile="13812345678")
    case = _build(S.INVESTIGATING, village_a, staff)
    _, breached = _breach(case)
    with breached, caplog.at_level(logging.INFO, logger="cases.sms"):
        sweep_deadlines_task.delay()
    lines = [r.getMessage() for r in caplog.records if r.name == "cases.sms"]
    assert len(lines) == 1
    assert "138****5678" in lines[0] and "13812345678" not in lines[0]
    assert case.number in lines[0]


class BrokenGateway:
    calls = 0

    def __init__(self, **options):
        pass

    def send(self, *, to, text):
        type(self).calls += 1
        raise SmsError("网关返回错误 500")


class DyingWorker:
    """Stands for a worker killed while the message is on its way (not an `Exception`)."""

    def __init__(self, **options):
        pass

    def send(self, *, to, text):
        raise SystemExit("killed")


def _one_sms_delivery(village_a, staff):
    NotificationProfile.objects.create(user=staff["leader"], mobile="13812345678",
                                       email_enabled=False)
    for user in (staff["clerk"], staff["leader"]):
        user.email = ""
        user.save()
    case = _build(S.INVESTIGATING, village_a, staff)
    _, breached = _breach(case)
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True), breached:
        from cases.sweep import sweep_deadlines

        sweep_deadlines()
    NotificationDelivery.objects.exclude(channel=DeliveryChannel.SMS).delete()
    return NotificationDelivery.objects.get()


def test_a_failure_the_gateway_reports_is_retried_then_given_up(settings, village_a, staff):
    delivery = _one_sms_delivery(village_a, staff)
    settings.SMS_BACKEND = "tests.cases.test_tasks.BrokenGateway"
    settings.NOTIFICATION_DELIVERY_MAX_ATTEMPTS = 3
    BrokenGateway.calls = 0
    assert deliver_pending().retried == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "500" in delivery.last_error
    deliver_pending()
    assert deliver_pending().failed == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3
    assert deliver_pending().failed == 0 and BrokenGateway.calls == 3


def test_a_worker_killed_after_claiming_never_sends_the_message_twice(settings, village_a,
                                                                      staff, locmem_sms):
    delivery = _one_sms_delivery(village_a, staff)
    settings.SMS_BACKEND = "tests.cases.test_tasks.DyingWorker"
    claimed = timezone.now()
    with at(claimed), pytest.raises(SystemExit):
        deliver_pending()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING  # the claim was committed first
    settings.SMS_BACKEND = "cases.sms.LocmemSmsBackend"
    with at(claimed + dt.timedelta(minutes=2)):
        assert deliver_pending().sent == 0  # another worker does not take it
    with at(claimed + dt.timedelta(minutes=settings.NOTIFICATION_DELIVERY_STALE_MINUTES + 1)):
        result = deliver_pending()
    assert result.unknown == 1 and result.sent == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.UNKNOWN
    assert locmem_sms == []
    assert Notification.objects.filter(pk=delivery.notification_id).exists()  # inbox keeps it


def test_a_starting_worker_sweeps_at_once(settings, village_a, staff):
    case = _build(S.INVESTIGATING, village_a, staff)
    _, breached = _breach(case)
    settings.DEADLINE_SWEEP_ON_WORKER_START = False
    with breached:
        _sweep_when_a_worker_starts()
    assert not Notification.objects.exists()
    settings.DEADLINE_SWEEP_ON_WORKER_START = True
    with breached:
        _sweep_when_a_worker_starts()
    assert Notification.objects.count() == 3


# --- Periodic review (动态管理) ---------------------------------------------------------------

def _review(case):
    return case.deadlines.filter(kind=DeadlineKind.PERIODIC_REVIEW).latest("start_at", "pk")


def _months_between(start: dt.datetime, due: dt.datetime) -> int:
    a, b = timezone.localdate(start), timezone.localdate(due)
    return (b.year - a.year) * 12 + b.month - a.month


@pytest.mark.parametrize(("kind", "working_age", "months"), [
    (CaseKind.DIBAO, True, 6), (CaseKind.DIBAO, False, 12),
    (CaseKind.TEKUN, True, 12), (CaseKind.TEKUN, False, 12),
])
def test_sign_off_starts_a_review_clock_by_category_and_labour(village_a, staff, kind,
                                                                working_age, months):
    case = _build(S.APPROVED, village_a, staff, kind=kind, working_age=working_age)
    review = _review(case)
    assert review.status == DeadlineStatus.OPEN and review.unit == "day"
    assert _months_between(review.start_at, review.due_at) == months
    assert timezone.localdate(review.due_at).day == timezone.localdate(review.start_at).day
    assert f"每{months}个月复核一次" in review.explanation["summary"]


def test_review_intervals_are_settings(settings, village_a, staff):
    settings.PERIODIC_REVIEW_MONTHS = {"dibao": {"default": 3, "able_to_work": 2},
                                       "tekun": {"default": 12, "able_to_work": 12}}
    case = _build(S.APPROVED, village_a, staff, working_age=True)
    review = _review(case)
    assert _months_between(review.start_at, review.due_at) == 2


def test_temporary_assistance_has_no_review_clock(village_a, staff):
    case = _build(S.CLOSED, village_a, staff, kind=CaseKind.TEMP_EMERGENCY)
    assert not case.deadlines.filter(kind=DeadlineKind.PERIODIC_REVIEW).exists()


def test_continuing_after_review_settles_the_clock_and_starts_the_next(village_a, staff):
    case = _build(S.APPROVED, village_a, staff)
    first = _review(case)
    reviewed_at = first.due_at - dt.timedelta(days=3)
    with at(reviewed_at):
        services.case_periodic_review(case=case, by=staff["leader"], outcome="continue",
                                      note="入户核查，家庭收入无明显变化。")
    first.refresh_from_db()
    assert first.status == DeadlineStatus.MET and first.settled_at == reviewed_at
    nxt = _review(case)
    assert nxt.pk != first.pk and nxt.status == DeadlineStatus.OPEN
    assert nxt.start_at == reviewed_at
    event = CaseEvent.objects.filter(case=case, action="periodic_review").get()
    assert event.payload["outcome"] == "continue" and event.actor == staff["leader"]
    case.refresh_from_db()
    assert case.status == S.APPROVED


def test_a_late_review_is_met_late(village_a, staff):
    case = _build(S.APPROVED, village_a, staff)
    first = _review(case)
    with at(first.due_at + dt.timedelta(days=2)):
        services.case_periodic_review(case=case, by=staff["leader"], outcome="continue",
                                      note="复核。")
    first.refresh_from_db()
    assert first.status == DeadlineStatus.MET_LATE


@pytest.mark.clause("S16")
def test_review_can_adjust_the_amount_through_the_adjust_service(village_a, staff):
    case = _build(S.APPROVED, village_a, staff)
    with at(_review(case).due_at - dt.timedelta(days=1)):
        services.case_periodic_review(case=case, by=staff["leader"], outcome="adjust",
                                      note="家庭成员就业，收入增加。", amount=Decimal("420.00"),
                                      reason="家庭人均收入提高，减发保障金。",
                                      override_reason="子女务工收入经村委会核实，按实际收入减发。")
    case.refresh_from_db()
    assert case.approved_amount == Decimal("420.00") and case.status == S.APPROVED
    assert case.amount_overridden, "420 departs from the calculation: flagged with its reason"
    assert case.events.filter(action="adjust").exists()
    assert case.deadlines.filter(kind=DeadlineKind.PERIODIC_REVIEW,
                                 status=DeadlineStatus.OPEN).count() == 1


@pytest.mark.clause("S16")
def test_review_can_stop_the_entitlement_and_no_next_clock_starts(village_a, staff):
    case = _build(S.APPROVED, village_a, staff)
    with at(_review(case).due_at - dt.timedelta(days=1)):
        services.case_periodic_review(case=case, by=staff["leader"], outcome="stop",
                                      note="家庭收入超过低保标准。",
                                      reason="家庭人均收入已超过低保标准。")
    case.refresh_from_db()
    assert case.status == S.TERMINATED
    assert not case.deadlines.filter(kind=DeadlineKind.PERIODIC_REVIEW,
                                     status=DeadlineStatus.OPEN).exists()


def test_review_refusals_change_nothing(village_a, staff):
    case = _build(S.APPROVED, village_a, staff)
    events = case.events.count()
    with pytest.raises(services.CaseActionError) as exc:
        services.case_periodic_review(case=case, by=staff["clerk"], outcome="continue",
                                      note="复核。")
    assert exc.value.code == "forbidden"
    with pytest.raises(services.CaseActionError) as exc:
        # No amount: the calculation's, which is the amount already paid.
        services.case_periodic_review(case=case, by=staff["leader"], outcome="adjust",
                                      note="复核。", amount=None, reason="减发。")
    assert exc.value.code == "same_amount"
    with pytest.raises(services.CaseActionError) as exc:
        services.case_periodic_review(case=case, by=staff["leader"], outcome="adjust",
                                      note="复核。", amount=Decimal("420.00"), reason="减发。")
    assert exc.value.code == "override_reason", "an amount the calculation does not give"
    assert case.events.count() == events
    assert _review(case).status == DeadlineStatus.OPEN


def test_resuming_a_suspended_case_restarts_the_review_clock(village_a, staff):
    case = _build(S.SUSPENDED, village_a, staff)
    old = _review(case)
    with at(T0 + dt.timedelta(days=40)):
        services.case_resume(case=case, by=staff["leader"], note="外出务工结束，恢复发放。")
    old.refresh_from_db()
    assert old.status == DeadlineStatus.CANCELLED
    new = _review(case)
    assert new.status == DeadlineStatus.OPEN and new.start_at == T0 + dt.timedelta(days=40)
