"""Reminders to staff: who gets them, what they say, and how they leave the building.

Every reminder is first a row in the recipient's inbox (`Notification`), written in the same
transaction as the fact it reports (a clock marked at risk, a publicity closed). It is unique
per clock, kind, due moment and person, so writing it twice is impossible. E-mail and SMS
copies are outbox rows (`NotificationDelivery`) in that same transaction; `deliver_pending`
sends them at most once.

Who is responsible (临兰政办字〔2019〕42号, S1, S21):

* the case's clerk — the user who registered the case, while still active in its township;
  otherwise every active window clerk of the township;
* the township's leaders in charge (镇街分管领导) — when a clock is at risk or breached, when
  the 24-hour emergency clock passes 12 hours, and when a publicity period ends;
* the district bureau (区民政局) — when a clock is breached.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.names import person_name
from cases.basis import clause_words
from cases.deadline_state import AT_RISK_HOURS, AT_RISK_WORKDAYS
from cases.models import (
    DeadlineKind,
    DeadlineUnit,
    DeliveryChannel,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationKind,
    NotificationLevel,
    NotificationProfile,
    TownshipUserObjectPermission,
    VillageUserObjectPermission,
)
from cases.permissions import WORK_IN_TOWNSHIP, WORK_IN_VILLAGE, Role
from cases.workflow import CaseKind

logger = logging.getLogger("cases.notifications")

SHANGHAI = ZoneInfo("Asia/Shanghai")
SMS_PREFIX = "【兰山社会救助】"


def fmt_moment(moment: dt.datetime) -> str:
    """2026年11月26日 14:00, Beijing time."""
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


# --- Recipients -------------------------------------------------------------------------------

@dataclass
class Recipients:
    """Who is responsible where; loaded once per sweep (a few queries, never one per case)."""

    _leaders: dict[int, list[int]] | None = None
    _clerks: dict[int, list[int]] | None = None
    _bureau: list[int] | None = None
    _staff: dict[int, set[int]] = field(default_factory=dict)
    _assistants: dict[int, list[int]] = field(default_factory=dict)

    def _load(self) -> None:
        if self._leaders is not None:
            return
        leaders: dict[int, list[int]] = {}
        clerks: dict[int, list[int]] = {}
        rows = (TownshipUserObjectPermission.objects
                .filter(permission__codename=WORK_IN_TOWNSHIP, user__is_active=True,
                        user__groups__name__in=[Role.LEADER.value, Role.CLERK.value])
                .values_list("content_object_id", "user_id", "user__groups__name")
                .order_by("content_object_id", "user_id").distinct())
        for township_id, user_id, group in rows:
            target = {Role.LEADER.value: leaders, Role.CLERK.value: clerks}.get(group)
            if target is None:
                continue
            bucket = target.setdefault(township_id, [])
            if user_id not in bucket:
                bucket.append(user_id)
        self._leaders, self._clerks = leaders, clerks
        self._bureau = list(get_user_model().objects.filter(
            is_active=True, groups__name=Role.BUREAU.value).order_by("pk")
            .values_list("pk", flat=True).distinct())

    def leaders(self, township_id: int) -> list[int]:
        self._load()
        return list(self._leaders.get(township_id, []))

    def clerks(self, township_id: int) -> list[int]:
        self._load()
        return list(self._clerks.get(township_id, []))

    def bureau(self) -> list[int]:
        self._load()
        return list(self._bureau)

    def assistants(self, village_id: int | None) -> list[int]:
        """The active village assistants (协理员) assigned to the village."""
        if village_id is None:
            return []
        if village_id not in self._assistants:
            self._assistants[village_id] = list(
                VillageUserObjectPermission.objects.filter(
                    permission__codename=WORK_IN_VILLAGE, content_object_id=village_id,
                    user__is_active=True, user__groups__name=Role.ASSISTANT.value)
                .order_by("user_id").values_list("user_id", flat=True).distinct())
        return list(self._assistants[village_id])

    def case_clerk(self, township_id: int, created_by_id: int | None) -> list[int]:
        """The clerk who registered the case if still active in the township, else all clerks."""
        self._load()
        staff = self._staff.get(township_id)
        if staff is None:
            staff = self._staff[township_id] = (set(self._clerks.get(township_id, []))
                                                | set(self._leaders.get(township_id, [])))
        if created_by_id in staff:
            return [created_by_id]
        return self.clerks(township_id)


# --- Message texts ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    title: str
    body: str


def _place(row: dict) -> str:
    return f"{row['case__township__name']}{row['case__village__name']}"


def _case_kind(row: dict) -> str:
    value = row["case__kind"]
    return CaseKind(value).label if value in CaseKind.values else value


def _clock(row: dict) -> str:
    value = row["kind"]
    return DeadlineKind(value).label if value in DeadlineKind.values else value


def _basis(row: dict) -> str:
    clause = row.get("clause") or ""
    words = clause_words(clause)
    return f"（依据规定：{words}）" if words else ""


def _todo(kind: str, row: dict) -> str:
    if row["kind"] == DeadlineKind.PERIODIC_REVIEW:
        return "请按时开展动态管理复核，并录入继续保障、调整保障金或停止保障的结果。"
    if row["kind"] == DeadlineKind.PUBLICITY:
        return "系统未能自动办结公示，请核实后办理公示期满手续。"
    if row["kind"] == DeadlineKind.POSTING:
        return ("公示单尚未确认张贴。请协理员将公示单张贴在村(社区)公示栏，"
                "并上传公示栏照片确认张贴；公示期自确认张贴之日的次日起算。")
    if row["kind"] == DeadlineKind.DELIVERY:
        return ("请将告知书送达申请人，并在文书送达页面登记送达情况；未能送达的，"
                "电话告知并登记电话告知记录。")
    if kind == NotificationKind.BREACHED:
        return "请立即办理，并在案件中说明超期原因。"
    return "请抓紧办理，按时办结。"


def deadline_message(kind: str, row: dict) -> Message:
    """The Chinese text of a clock reminder: the case, the clock and the exact due time.

    `row` holds the deadline's fields as the sweep reads them (see `cases.sweep.ROW_FIELDS`).
    """
    number, clock, due = row["case__number"], _clock(row), fmt_moment(row["due_at"])
    about = f"案件{number}（{_case_kind(row)}，{_place(row)}）的“{clock}”{_basis(row)}"
    hour_clock = row["unit"] == DeadlineUnit.HOUR
    if kind == NotificationKind.AT_RISK:
        left = f"不足{AT_RISK_HOURS}小时" if hour_clock else f"不足{AT_RISK_WORKDAYS}个工作日"
        return Message(
            title=f"临期提醒：案件{number}的{clock}将于{due}到期",
            body=f"{about}将于{due}到期，剩余时间{left}。{_todo(kind, row)}",
        )
    if kind == NotificationKind.BREACHED:
        return Message(
            title=f"超期提醒：案件{number}的{clock}已于{due}到期",
            body=f"{about}已于{due}到期，至今尚未办结，已经超期。{_todo(kind, row)}",
        )
    if kind == NotificationKind.ESCALATED:
        hours = settings.EMERGENCY_ESCALATION_HOURS
        start = fmt_moment(row["start_at"])
        return Message(
            title=f"急难救助督办：案件{number}报告已超过{hours}小时仍未先行救助",
            body=(f"急难型临时救助案件{number}（{_place(row)}）于{start}报告，已超过{hours}小时"
                  f"仍未先行救助。“{clock}”将于{due}届满，请分管领导立即督办。"),
        )
    raise ValueError(kind)


def publicity_message(kind: str, *, number: str, case_kind: str, place: str,
                      ended_at: dt.datetime, objections: int) -> Message:
    """The Chinese text sent when a publicity period ends (S6, S7, S10)."""
    ended = fmt_moment(ended_at)
    if kind == NotificationKind.PUBLICITY_CLOSED:
        return Message(
            title=f"公示期满无异议：案件{number}待审批",
            body=(f"案件{number}（{case_kind}，{place}）的审批公示已于{ended}期满，公示期间无异议，"
                  f"已转入“待领导审批”。请分管领导审批。"),
        )
    return Message(
        title=f"公示有异议：案件{number}需组织民主评议",
        body=(f"案件{number}（{case_kind}，{place}）的审批公示已于{ended}期满，公示期间收到"
              f"{objections}条异议，已转入“待民主评议”。请组织民主评议并录入结果。"),
    )


# --- Writing reminders ------------------------------------------------------------------------

class Draft(NamedTuple):
    """A reminder to write: for whom, about which clock and due moment, saying what."""

    recipient_id: int
    kind: str
    level: str
    due_at: dt.datetime
    message: Message
    case_id: int | None = None
    deadline_id: int | None = None


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# Above this many rows PostgreSQL gets them by COPY into a session-local staging table, then one
# INSERT … SELECT … ON CONFLICT DO NOTHING: several times faster than VALUES lists.
COPY_THRESHOLD = 300


def _insert_ignoring_duplicates(cursor, model, columns: tuple[str, ...], rows: list[tuple]):
    table, names = _table(model), ", ".join(columns)
    if connection.vendor == "postgresql" and len(rows) >= COPY_THRESHOLD:
        stage = connection.ops.quote_name(f"{model._meta.db_table}_incoming")
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {names} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} "  # noqa: S608
                       f"ON CONFLICT DO NOTHING")
        cursor.execute(f"TRUNCATE {stage}")
        return
    per_statement = min(500, (connection.features.max_query_params or 65535) // len(columns))
    row_marks = f"({', '.join(['%s'] * len(columns))})"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        cursor.execute(
            f"INSERT INTO {table} ({names}) "  # noqa: S608
            f"VALUES {', '.join([row_marks] * len(chunk))} ON CONFLICT DO NOTHING",
            [value for row in chunk for value in row])


def write(drafts: list[Draft]) -> int:
    """Write inbox rows, and outbox rows for their e-mail and SMS copies, in two statements.

    Must run inside the transaction of the fact being reported. A draft already written
    (same clock, kind, due moment and person) is skipped (``ON CONFLICT DO NOTHING``), and so
    are its copies: only the rows this call inserted (its own `created_at` stamp, on clocks
    the caller holds locked) get one. The recipients' cached unread counts are dropped.
    Plain SQL, because the catch-up sweep after an outage writes tens of thousands of rows
    and the ORM's per-object work would dominate it (bench/sweep.py).

    Returns:
        The number of drafts given (those already written included; they are no-ops).
    """
    if not drafts:
        return 0
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    columns = ("recipient_id", "case_id", "deadline_id", "kind", "level", "due_at", "title",
               "body", "created_at")
    # Identifiers come from the models' meta; every value is a query parameter.
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(d.recipient_id, d.case_id, d.deadline_id, d.kind, d.level, adapt(d.due_at),
             d.message.title, d.message.body, stamp) for d in drafts]
    with connection.cursor() as cursor:
        _insert_ignoring_duplicates(cursor, Notification, columns, rows)
        forget_unread_counts({d.recipient_id for d in drafts})
        deadline_ids = sorted({d.deadline_id for d in drafts if d.deadline_id is not None})
        if not deadline_ids:
            return len(drafts)
        user = get_user_model()
        ids = ", ".join(["%s"] * len(deadline_ids))
        copy = (
            f"INSERT INTO {_table(NotificationDelivery)} "  # noqa: S608
            "(notification_id, channel, address, status, attempts, last_error, created_at) "
            f"SELECT n.id, %s, {{address}}, %s, 0, '', %s FROM {_table(Notification)} n "
            f"JOIN {_table(user)} u ON u.{user._meta.pk.column} = n.recipient_id "
            f"LEFT JOIN {_table(NotificationProfile)} p ON p.user_id = n.recipient_id "
            f"WHERE n.deadline_id IN ({ids}) AND n.created_at = %s AND {{condition}} "
            f"ON CONFLICT DO NOTHING")
        common = [DeliveryStatus.PENDING.value, stamp]
        cursor.execute(
            copy.format(address="u.email",
                        condition="u.email <> '' AND (p.id IS NULL OR p.email_enabled)"),
            [DeliveryChannel.EMAIL.value, *common, *deadline_ids, stamp])
        cursor.execute(
            copy.format(address="p.mobile",
                        condition="n.level = %s AND p.mobile <> '' AND p.sms_enabled"),
            [DeliveryChannel.SMS.value, *common, *deadline_ids, stamp,
             NotificationLevel.URGENT.value])
    return len(drafts)


def deadline_drafts(kind: str, rows: list[dict], recipients: Recipients) -> list[Draft]:
    """The reminders for clocks just marked at risk, breached or escalated.

    At risk: the clerk and the leaders (none for publicity: the system closes it by itself).
    Breached: the clerk, the leaders and the district bureau. Escalated (emergency aid after
    12 hours): the leaders, or the clerk where the township has no leader.
    """
    drafts: list[Draft] = []
    for row in rows:
        township = row["case__township_id"]
        clerk = recipients.case_clerk(township, row["case__created_by_id"])
        if row["kind"] == DeadlineKind.POSTING:
            # A sheet not confirmed posted in time: the village assistant who posts it and
            # the clerk who proposed the case (S6). Nothing before that; no escalation.
            if kind != NotificationKind.BREACHED:
                continue
            people = recipients.assistants(row.get("case__village_id")) + clerk
            level = NotificationLevel.WARNING
        elif row["kind"] == DeadlineKind.DELIVERY:
            # A notice not yet delivered (S16): the clerk who delivers it, at risk and breached.
            if kind not in (NotificationKind.AT_RISK, NotificationKind.BREACHED):
                continue
            people = clerk
            level = (NotificationLevel.URGENT if kind == NotificationKind.BREACHED
                     else NotificationLevel.WARNING)
        elif kind == NotificationKind.AT_RISK:
            if row["kind"] == DeadlineKind.PUBLICITY:
                continue
            people = clerk + recipients.leaders(township)
            level = (NotificationLevel.URGENT if row["unit"] == DeadlineUnit.HOUR
                     else NotificationLevel.WARNING)
        elif kind == NotificationKind.BREACHED:
            people = clerk + recipients.leaders(township) + recipients.bureau()
            level = NotificationLevel.URGENT
        elif kind == NotificationKind.ESCALATED:
            people = recipients.leaders(township) or clerk
            level = NotificationLevel.URGENT
        else:
            raise ValueError(kind)
        message = deadline_message(kind, row)
        for uid in dict.fromkeys(people):
            drafts.append(Draft(
                recipient_id=uid, kind=kind, level=level,
                due_at=row["due_at"], message=message,
                case_id=row["case_id"], deadline_id=row["pk"]))
    return drafts


def publicity_drafts(case, deadline, *, objections: int,
                     recipients: Recipients) -> list[Draft]:
    """The reminders for a publicity just closed: the leaders (and, with an objection, the
    clerk who organises the democratic appraisal)."""
    kind = (NotificationKind.PUBLICITY_OBJECTION if objections
            else NotificationKind.PUBLICITY_CLOSED)
    people = recipients.leaders(case.township_id)
    if objections or not people:
        people = people + recipients.case_clerk(case.township_id, case.created_by_id)
    message = publicity_message(
        kind, number=case.number, case_kind=case.get_kind_display(),
        place=f"{case.township.name}{case.village.name}", ended_at=deadline.due_at,
        objections=objections)
    level = NotificationLevel.WARNING if objections else NotificationLevel.INFO
    return [Draft(recipient_id=uid, kind=kind, level=level,
                  due_at=deadline.due_at, message=message,
                  case_id=case.pk, deadline_id=deadline.pk)
            for uid in dict.fromkeys(people)]


# --- Sending e-mail and SMS (the outbox) ------------------------------------------------------

@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0


def _send(delivery: NotificationDelivery) -> None:
    notification = delivery.notification
    if delivery.channel == DeliveryChannel.EMAIL:
        user = notification.recipient
        body = (f"{person_name(user)}：\n\n{notification.body}\n\n"
                f"请登录兰山区社会救助经办系统查看并办理。本邮件由系统自动发送，请勿回复。")
        send_mail(notification.title, body, settings.DEFAULT_FROM_EMAIL, [delivery.address])
    elif delivery.channel == DeliveryChannel.SMS:
        from cases.sms import send_sms

        send_sms(to=delivery.address, text=sms_text(notification))
    else:
        raise ValueError(delivery.channel)


def _expire_stale_claims(now: dt.datetime) -> int:
    """Claims of a worker that died while sending: the outcome is unknown, so never resend."""
    stale = now - dt.timedelta(minutes=settings.NOTIFICATION_DELIVERY_STALE_MINUTES)
    count = NotificationDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=stale,
    ).update(status=DeliveryStatus.UNKNOWN,
             last_error="发送过程中断，无法确认是否已送达；为避免重复，不再自动重发。")
    if count:
        logger.warning("%d 条提醒发送中断，结果未知，不再重发。", count)
    return count


def deliver_pending(*, limit: int = 500, chunk: int = 50) -> DeliveryResult:
    """Send pending e-mail and SMS copies, each at most once.

    A chunk is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and marked `sending` in its
    own committed transaction before anything is sent, so two workers never take the same row
    and a crash after the claim never causes a second message. A failure reported by the mail
    server or the SMS gateway returns the row to `pending` until
    ``NOTIFICATION_DELIVERY_MAX_ATTEMPTS``, then marks it `failed`.
    """
    result = DeliveryResult()
    result.unknown = _expire_stale_claims(timezone.now())
    processed = 0
    while processed < limit:
        with transaction.atomic():
            claimed = list(
                NotificationDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=DeliveryStatus.PENDING)
                .select_related("notification__recipient")
                .order_by("id")[:chunk])
            if not claimed:
                break
            now = timezone.now()
            NotificationDelivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
                status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        processed += len(claimed)
        for delivery in claimed:
            try:
                _send(delivery)
            except Exception as exc:  # noqa: BLE001 - any gateway error is recorded, not raised
                attempts = delivery.attempts + 1
                final = attempts >= settings.NOTIFICATION_DELIVERY_MAX_ATTEMPTS
                NotificationDelivery.objects.filter(pk=delivery.pk).update(
                    status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
                    last_error=str(exc)[:300])
                logger.warning("提醒 %s 经%s发送失败（第%d次）：%s", delivery.notification_id,
                               delivery.get_channel_display(), attempts, exc)
                if final:
                    result.failed += 1
                else:
                    result.retried += 1
            else:
                NotificationDelivery.objects.filter(pk=delivery.pk).update(
                    status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")
                result.sent += 1
        if len(claimed) < chunk:
            break
    return result


def sms_text(notification: Notification) -> str:
    """A short SMS: the prefix and the title (which names the case, clock and due time)."""
    return f"{SMS_PREFIX}{notification.title}。请登录系统办理。"


# --- The inbox --------------------------------------------------------------------------------

# The header shows every signed-in user's unread count on every page: it is cached per user
# for at most a minute (each process of the demo has its own local-memory cache, so another
# process may show a count up to this old) and dropped whenever that user's reminders are
# written (`write`) or marked read (`mark_read`), the only two ways they change.
UNREAD_COUNT_SECONDS = 60


def _unread_key(user_id: int) -> str:
    return f"inbox:unread:{user_id}"


def unread_count(user) -> int:
    """The user's unread reminders, from the cache when counted in the last minute."""
    if not getattr(user, "is_authenticated", False):
        return 0
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_COUNT_SECONDS)
    return count


def forget_unread_counts(user_ids) -> None:
    """Drop the cached counts of these users now and again when the transaction commits (a
    page counting in between would otherwise cache the count from before the change)."""
    keys = [_unread_key(uid) for uid in sorted(set(user_ids))]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def mark_read(*, user, pk: int | None = None) -> int:
    """Mark one of the user's notifications read (or all of them with ``pk=None``).

    Returns:
        How many were unread and are now read.
    """
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pk is not None:
        rows = rows.filter(pk=pk)
    count = rows.update(read_at=timezone.now())
    if count:
        forget_unread_counts([user.pk])
    return count
