"""Synthetic district- and province-sized data for benchmarks (`manage.py seed_scale`).

Households of one to six people with valid, unique ID numbers; cases in every state, each
with the deadlines, evidence and hash-chained trail the services would have left. Rows are
written in bulk — PostgreSQL `COPY` (psycopg 3), `bulk_create` elsewhere — because going
through the services would take days at a million households. So the trail is serialised
here in the canonical form of `cases.trail`, and `check_trail_format` compares it with
`cases.trail.compute_hash` before anything is written.

Rules the command enforces (see `plan`):

* Generated households carry ``note = SEED_MARK``. A database holding any other household
  is refused: this tool never mixes invented people with real ones.
* ``households`` is the total wanted. Running again with the same total does nothing; a
  larger total adds the difference (same seed: same people); a smaller one is refused,
  because the case trail is append-only and nothing generated is ever deleted.
* Each chunk of households is one transaction, so an interrupted run leaves whole chunks
  and the next run carries on from there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from functools import cache, lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.utils import timezone

from cases import crypto, idnumber, scoping
from cases.calendar import WorkCalendar
from cases.deadlines import SHANGHAI, compute_due
from cases.models import (
    Appraisal,
    Case,
    CaseEvent,
    CaseNumberCounter,
    CaseTrailHead,
    Deadline,
    HomeVisit,
    Household,
    Membership,
    Objection,
    Person,
    Township,
    VerificationAuthorization,
    VerificationReport,
    Village,
)
from cases.permissions import Role
from cases.trail import chain_key, compute_hash
from cases.workflow import KIND_CODES, CaseKind, CaseStatus

SEED_MARK = "seed_scale"
USER_PREFIX = "scale-"
DEFAULT_PASSWORD = "lanshan-scale-2024"  # noqa: S105 - synthetic benchmark accounts only
MAX_HOUSEHOLDS = 5_000_000
S = CaseStatus
K = CaseKind

# Regions of the ID numbers' first six digits: Lanshan first, then Linyi's other counties.
# A birth date and gender have 500 order codes per region; people born the same day take
# the next free slot, so numbers never collide (`IdNumbers`).
REGIONS = ("371302", "371311", "371312", "371321", "371322", "371323", "371324", "371325",
           "371326", "371327", "371328", "371329")

# The share of cases in each state (final cases dominate, as in a real office's database).
STATE_WEIGHTS = {
    S.RECEIVED: 4, S.INVESTIGATING: 9, S.RECHECK: 1.5, S.IN_PUBLICITY: 3,
    S.AWAITING_APPRAISAL: 1, S.AWAITING_SIGN_OFF: 4, S.APPROVED: 32, S.SUSPENDED: 3,
    S.TERMINATED: 12, S.REJECTED: 10, S.WITHDRAWN: 4, S.EMERGENCY_REPORTED: 0.5,
    S.AID_GIVEN: 1, S.CLOSED: 8,
}
STATES = list(STATE_WEIGHTS)
WEIGHTS = list(STATE_WEIGHTS.values())
# States an older case of a household ends in (only its newest case may still be live).
PAST_STATES = [S.TERMINATED, S.REJECTED, S.WITHDRAWN, S.CLOSED]
EMERGENCY_STATES = {S.EMERGENCY_REPORTED, S.AID_GIVEN, S.CLOSED}
ENTITLEMENT_STATES = {S.APPROVED, S.SUSPENDED, S.TERMINATED}
# How long before now the case's last step happened, in days (uniform within).
AGE_DAYS = {
    S.RECEIVED: (0.02, 10), S.INVESTIGATING: (0.1, 20), S.RECHECK: (0.5, 12),
    S.IN_PUBLICITY: (0.05, 6.5), S.AWAITING_APPRAISAL: (0.2, 15),
    S.AWAITING_SIGN_OFF: (0.1, 12), S.EMERGENCY_REPORTED: (0.01, 1.3),
    S.AID_GIVEN: (0.05, 9),
}
FINAL_AGE_DAYS = (1, 1095)
ESCALATION_HOURS = getattr(settings, "EMERGENCY_ESCALATION_HOURS", 12)
# A case's nearest open due moment, if the model keeps it (recommended for the case list).
NEXT_DUE_FIELD = any(f.name == "next_due_at" for f in Case._meta.concrete_fields)

SURNAMES = ("王" * 9 + "张" * 8 + "李" * 8 + "刘" * 6 + "陈" * 4 + "杨" * 4 + "赵" * 3
            + "孙" * 3 + "徐" * 3 + "朱" * 2 + "高" * 2 + "马" * 2 + "胡郭何林周吴黄罗宋郑"
            "梁谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方"
            "石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
GIVEN_OLD = {"M": "建国庆明德福贵海文志军华峰忠义祥林山春生保全守成宝平安",
             "F": "秀英桂兰玉凤珍芳梅淑华荣菊琴翠云霞香娥花兰英芝萍"}
GIVEN_NEW = {"M": "子浩宇轩然博文俊杰涛鹏辰睿泽晨阳航一诚瑞昊天明铭",
             "F": "欣怡佳雨涵梓萱诗琪悦婷雪晴思彤可馨静瑶语嘉妍璐"}
OCCUPATIONS = ("务农", "务农", "无业", "灵活就业", "外出务工", "个体经营", "退休", "在校学生")
HARDSHIPS = ("家庭成员患病，无稳定收入。", "主要劳动力残疾，家庭收入低于当地低保标准。",
             "老人独居，无子女赡养。", "因病致贫，医疗支出大。", "子女上学，家庭负担重。",
             "房屋失火，生活无着。", "突发重病，急需救助。")
INVESTIGATORS = ("王强", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "孙丽")


class ScaleError(Exception):
    """The request cannot be carried out; the message says why."""


# --- The plan -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """What a run adds: households [start, total) with `cases_per_household` cases each."""

    start: int
    total: int
    cases_per_household: float
    seed: int

    @property
    def to_add(self) -> int:
        return self.total - self.start


def seeded_households() -> int:
    return Household.objects.filter(note=SEED_MARK).count()


def plan(households: int, *, cases_per_household: float = 1.0, seed: int = 2024) -> Plan:
    """Check the request against the database; what is to be added (possibly nothing)."""
    if households < 1:
        raise ScaleError("households must be at least 1")
    if households > MAX_HOUSEHOLDS:
        raise ScaleError(f"at most {MAX_HOUSEHOLDS:,} households can be generated")
    if not 0 <= cases_per_household <= 20:
        raise ScaleError("cases per household must be between 0 and 20")
    foreign = Household.objects.exclude(note=SEED_MARK).count()
    if foreign:
        raise ScaleError(
            f"the database holds {foreign} households that seed_scale did not generate; "
            "use a dedicated database (e.g. createdb lanshan_bench)")
    have = seeded_households()
    if households < have:
        raise ScaleError(
            f"the database already holds {have} generated households; the case trail is "
            f"append-only, so it cannot be reduced to {households}")
    if not Village.objects.filter(is_active=True).exists():
        raise ScaleError("no villages: run migrate first (migration 0002 loads them)")
    return Plan(start=have, total=households, cases_per_household=cases_per_household,
                seed=seed)


# --- Staff --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Staff:
    clerk: int
    verifier: int
    leader: int


def ensure_staff(password: str = DEFAULT_PASSWORD) -> dict[int, Staff]:
    """A clerk, a verification officer and a leader per township, and one bureau user.

    Usernames: ``scale-clerk-<township code>`` etc. and ``scale-bureau``; all share
    `password` so a developer can log in to a seeded database.
    """
    user_model = get_user_model()
    hashed = make_password(password)
    groups = {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}

    def user(username: str, role: Role, full_name: str):
        obj, created = user_model.objects.get_or_create(
            username=username, defaults={"password": hashed, "first_name": full_name})
        if created:
            obj.groups.add(groups[role])
        return obj

    user(f"{USER_PREFIX}bureau", Role.BUREAU, "区民政局")
    staff = {}
    for township in Township.objects.filter(is_active=True).order_by("code"):
        ids = []
        for role, label in ((Role.CLERK, "clerk"), (Role.VERIFIER, "verifier"),
                            (Role.LEADER, "leader")):
            obj = user(f"{USER_PREFIX}{label}-{township.code}", role,
                       f"{township.name}{role.value}")
            if not scoping.townships_for(obj).filter(pk=township.pk).exists():
                scoping.assign_township(obj, township)
            ids.append(obj.pk)
        staff[township.pk] = Staff(*ids)
    return staff


# --- ID numbers ---------------------------------------------------------------------------

class IdNumbers:
    """Unique valid numbers: per birth date and gender, slots 0.. map to (region, order)."""

    def __init__(self):
        self.used: dict[tuple[int, int], int] = {}

    def load(self, numbers: Iterable[str]) -> None:
        """Mark every existing number's slot as taken (for a top-up run). Numbers of other
        regions cannot collide with generated ones and are skipped."""
        for number in numbers:
            if number[:6] not in REGIONS:
                continue
            born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            order = int(number[14:17])
            key = (born.toordinal(), order % 2)
            slot = REGIONS.index(number[:6]) * 500 + order // 2
            if slot >= self.used.get(key, 0):
                self.used[key] = slot + 1

    def make(self, born: dt.date, male: bool) -> str:
        key = (born.toordinal(), int(male))
        slot = self.used.get(key, 0)
        if slot >= 500 * len(REGIONS):
            raise ScaleError(f"no free ID number for birth date {born}")
        self.used[key] = slot + 1
        return idnumber.make_number(REGIONS[slot // 500], born, 2 * (slot % 500) + int(male))


# --- Rows and how they are written --------------------------------------------------------

class PlainSealer:
    """SQLite: values stay plain, `bulk_create` encrypts them through the model fields."""

    def unique(self, value):
        return value

    common = unique


class Sealer:
    """PostgreSQL: the Fernet tokens that COPY writes for Person and Household.

    Unique values (ID numbers, phones, bank accounts) are encrypted one by one with
    `crypto.BulkEncryptor`; the few values of health, disability and an empty phone take one
    of POOL tokens made per value, which keeps 1M persons to seconds. Real data never
    comes this way: the pools are a property of generated benchmark data only.
    """

    POOL = 32

    def __init__(self):
        self.encrypt = crypto.BulkEncryptor()
        self.pools: dict[object, list[str]] = {}
        self.rng = random.Random()

    def unique(self, value) -> str:
        return self.encrypt(str(value))

    def common(self, value) -> str:
        pool = self.pools.get(value)
        if pool is None:
            pool = self.pools[value] = [self.encrypt(str(value)) for _ in range(self.POOL)]
        return pool[self.rng.randrange(self.POOL)]


class Table:
    """One model's rows as tuples of the attnames the generator supplies, in order.

    Every other concrete field takes its default (or NULL); a new required field without a
    default stops the run with its name, instead of failing deep inside COPY.
    """

    def __init__(self, model: type[models.Model], fields: str):
        self.model = model
        self.fields = fields.split()
        concrete = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(self.fields) - set(concrete)
        if unknown:
            raise ScaleError(f"{model.__name__} has no field(s) {sorted(unknown)}")
        self.extra: list[tuple[str, object]] = []
        for name, f in concrete.items():
            if name in self.fields:
                continue
            value = None if f.null and not f.has_default() else f.get_default()
            if value is None and getattr(f, "auto_now", False) or getattr(f, "auto_now_add",
                                                                          False):
                value = timezone.now()
            if isinstance(f, crypto.EncryptedMixin) and value is not None \
                    and connection.vendor == "postgresql":
                value = f.get_db_prep_value(value, connection)  # COPY writes the token
            if value is not None or f.null:
                self.extra.append((name, value))
            else:
                raise ScaleError(f"{model.__name__}.{name} is required and has no default: "
                                 "teach cases/scale.py about it")
        self.columns = [concrete[n].column for n in self.fields] + [
            concrete[n].column for n, _ in self.extra]
        self.db_table = model._meta.db_table
        self.tail = "".join("\t" + _tsv(v) for _, v in self.extra) + "\n"
        self.rows: list = []  # tuples; or, for hot tables on PostgreSQL, COPY lines
        self.next_id = 1


NULL = "\\N"  # COPY's NULL


class Json(str):
    """JSON text already serialised (the trail's payloads are hashed in this exact form)."""


def _escape(text: str) -> str:
    """COPY's text format: backslash, tab and line breaks escaped (fast when none occur)."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _json_text(value) -> str:
    return _escape(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


class Explanation(dict):
    """A deadline's explanation whose COPY text is a cached template around its start time:
    thousands of clocks share one computed due date, only `basis.start_at` differs."""

    __slots__ = ("template", "start_at")

    def copy_text(self) -> str:
        return self.template[0] + self.start_at + self.template[1]


_FORMATS: dict[type, Callable[[object], str]] = {
    Explanation: Explanation.copy_text,
    type(None): lambda v: NULL,
    str: _escape,
    Json: _escape,
    int: str,
    Decimal: str,
    bool: lambda v: "t" if v else "f",
    dt.datetime: dt.datetime.isoformat,
    dt.date: dt.date.isoformat,
    dict: _json_text,
    list: _json_text,
}


def _tsv(value) -> str:
    """One value in COPY's text format."""
    try:
        return _FORMATS[type(value)](value)
    except KeyError:
        if isinstance(value, str):  # TextChoices members
            return _escape(str(value))
        raise TypeError(f"cannot write {type(value).__name__}") from None


@dataclass
class Batch:
    """One chunk of households, ready to write: per table its COPY text (PostgreSQL) or its
    rows (elsewhere), the last id used, and the case-number counters after the chunk."""

    households: int
    parts: list[tuple[Table, object, int]]
    counters: list[CaseNumberCounter]


def _sequence(cursor, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return cursor.fetchone()[0]


def first_ids(tables: list[Table]) -> None:
    """Start each table's ids after the highest id in use (and its sequence's position)."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for t in tables:
            top = t.model.objects.aggregate(top=models.Max("id"))["top"] or 0
            if postgres:
                sequence = _sequence(cursor, t.db_table)
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
                last, called = cursor.fetchone()
                top = max(top, last if called else last - 1)
            t.next_id = top + 1


def _copy_text(t: Table) -> str:
    if t.rows and type(t.rows[0]) is str:  # already COPY lines
        return "".join(t.rows)
    tail = t.tail
    return "".join("\t".join(map(_tsv, row)) + tail for row in t.rows)


def write_batch(batch: Batch) -> None:
    """One transaction: every table's rows, the sequences moved past them, the counters."""
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
            with connection.connection.cursor() as cursor:
                for t, text, _last in batch.parts:
                    with cursor.copy(f"COPY {t.db_table} ({', '.join(t.columns)}) "
                                     "FROM STDIN") as copy:
                        copy.write(text)
            with connection.cursor() as cursor:
                for t, _text, last in batch.parts:
                    cursor.execute("SELECT setval(%s, %s)", [_sequence(cursor, t.db_table), last])
        else:
            for t, rows, _last in batch.parts:
                t.model.objects.bulk_create(
                    [t.model(**{name: json.loads(v) if type(v) is Json else v
                                for name, v in zip(t.fields, row, strict=True)})
                     for row in rows], batch_size=500)
        CaseNumberCounter.objects.bulk_create(
            batch.counters, update_conflicts=True,
            unique_fields=["township", "year", "kind"], update_fields=["last"])


class Writer(threading.Thread):
    """Writes batches on its own connection while the next chunk is being generated: COPY
    keeps the database's core busy, generation the other."""

    def __init__(self, progress: Callable[[int], None]):
        super().__init__(name="seed_scale-writer", daemon=True)
        self.batches: queue.Queue[Batch | None] = queue.Queue(maxsize=2)
        self.progress = progress
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while (batch := self.batches.get()) is not None:
                if self.error is None:
                    write_batch(batch)
                    self.progress(batch.households)
        except BaseException as exc:  # handed to the generating thread
            self.error = exc
            while self.batches.get() is not None:
                pass
        finally:
            connection.close()

    def put(self, batch: Batch) -> None:
        if self.error is not None:
            raise self.error
        self.batches.put(batch)

    def finish(self) -> None:
        self.batches.put(None)
        self.join()
        if self.error is not None:
            raise self.error


# --- The generator ------------------------------------------------------------------------

_quote = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False
_SORTED = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
# The C encoder built once: json.dumps builds one per call, a third of its time here.
_c_encoder = json.encoder.c_make_encoder and json.encoder.c_make_encoder(
    None, _SORTED.default, _quote, None, ":", ",", True, False, True)


def _payload_json(payload: dict) -> Json:
    """`json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`."""
    if _c_encoder is None:
        return Json(_SORTED.encode(payload))
    return Json("".join(_c_encoder(payload, 0)))


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _canonical_hash(prev: str, case_id: int, seq: int, at: str, actor, action: str,
                    from_status: str, to_status: str, note: str, payload: Json) -> str:
    """`cases.trail.compute_hash`, without building a model instance: the same canonical JSON
    (sorted keys, no spaces, UTC time as `_utc_text`), written out key by key, and the same
    keyed HMAC."""
    text = (f'{{"action":{_quote(action)},"actor":{"null" if actor is None else actor},'
            f'"at":"{at}",'
            f'"case":{case_id},"from":{_quote(str(from_status))},"note":{_quote(note)},'
            f'"payload":{payload},"seq":{seq},"to":{_quote(str(to_status))}}}')
    return hmac.new(chain_key(), (prev + "\n" + text).encode("utf-8"),
                    hashlib.sha256).hexdigest()


def check_trail_format() -> None:
    """Refuse to write a trail that `cases.trail.verify_chain` would call tampered."""
    at = dt.datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    payload = {"kind": "decision", "due_at": "2025-04-01T23:59:59+08:00", "n": 3,
               "names": ["王强", "李\"娜"], "amount": None, "ok": True,
               "nested": {"b": 1, "a": "\n"}}
    event = CaseEvent(case_id=7, seq=2, at=at, actor_id=5, action="accept",
                      from_status="received", to_status="investigating", note="说明",
                      payload=payload)
    if compute_hash("ab" * 32, event) != _canonical_hash(
            "ab" * 32, 7, 2, _utc_text(at), 5, "accept", "received", "investigating", "说明",
            _payload_json(payload)):
        raise ScaleError("cases.trail.canonical changed: update cases/scale.py to match")


def _days(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(days=rng.uniform(low, high))


def _money(value: float) -> str:
    return f"{value:.2f}"


def _add_months(day: dt.date, months: int) -> dt.date:
    from calendar import monthrange

    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, monthrange(year, month)[1]))


@dataclass
class Member:
    id: int
    name: str
    born: dt.date
    relationship: str
    able: bool


@dataclass
class CaseState:
    """A case being built: its trail so far and its clocks (deadline row index by kind)."""

    id: int
    seq: int = 0
    prev: str = ""
    clocks: dict = field(default_factory=dict)


class Generator:
    """Builds the rows of households one by one; `batch` hands them over for writing."""

    TABLE_MODELS = (Person, Household, Membership, Case, Deadline, CaseEvent, CaseTrailHead,
                    VerificationAuthorization, VerificationReport, HomeVisit, Objection,
                    Appraisal)

    def __init__(self, plan: Plan, staff: dict[int, Staff], now: dt.datetime,
                 id_numbers: IdNumbers):
        self.plan = plan
        self.staff = staff
        self.now = now
        self.today = timezone.localdate(now)
        self.ids = id_numbers
        self.text = connection.vendor == "postgresql"
        self.calendar = CachedCalendar()
        self.due = memoised_due(self.calendar)
        self.workdays_left = lru_cache(maxsize=None)(
            lambda a, b: self.calendar.count_workdays(a, b, provisional=True))
        self.villages = list(Village.objects.filter(is_active=True, township__is_active=True)
                             .select_related("township").order_by("code"))
        rng = random.Random(plan.seed)
        # Communities (urban) are bigger than villages; every village gets some weight.
        self.village_weights = [rng.uniform(2, 6) if v.kind == "community" else
                                rng.uniform(0.5, 2) for v in self.villages]
        self.counters = {(c.township_id, c.year, c.kind): c.last
                         for c in CaseNumberCounter.objects.all()}
        # Encrypted columns (cases/crypto.py): on PostgreSQL the COPY text carries the tokens
        # and the keyed hash; on SQLite bulk_create encrypts through the fields.
        self.seal = Sealer() if self.text else PlainSealer()
        self.person = Table(Person, "id name id_number id_number_hash id_tail_hash gender "
                            "birth_date phone "
                            "hukou_type disability_grade disability_type health "
                            "labour_capacity occupation created_at updated_at")
        # `township_id`: the copy of the village's township (`Household.save` is not run).
        self.household = Table(Household, "id village_id address hukou_type head_id "
                               "bank_name bank_account note created_at updated_at township_id")
        self.membership = Table(Membership, "id household_id person_id relationship "
                                "started_on ended_on")
        self.case = Table(Case, "id number kind household_id applicant_id township_id "
                          "village_id hardship applied_at accepted_at decided_at "
                          "created_by_id proposed_amount approved_amount covered_persons "
                          "review_opinion decision_reason reported_at aid_given_at "
                          "aid_amount aid_reason paperwork_complete updated_at status"
                          + (" next_due_at" if NEXT_DUE_FIELD else ""))
        self.deadline = Table(Deadline, "id case_id kind clause unit amount start_at due_at "
                              "calendar_confirmed explanation status paused_at remaining "
                              "settled_at at_risk_at breached_at escalated_at")
        self.event = Table(CaseEvent, "id case_id seq at actor_id action from_status "
                           "to_status note payload prev_hash hash")
        self.head = Table(CaseTrailHead, "id case_id seq hash")
        self.authorization = Table(VerificationAuthorization, "id case_id person_id signed_on "
                                   "scan recorded_by_id recorded_at")
        self.report = Table(VerificationReport, "id case_id is_recheck monthly_income "
                            "assets_note conclusion recorded_by_id recorded_at")
        self.visit = Table(HomeVisit, "id case_id visited_on investigators findings "
                           "recorded_by_id recorded_at")
        self.objection = Table(Objection, "id case_id kind channel content lodged_at "
                               "recorded_by_id")
        self.appraisal = Table(Appraisal, "id case_id held_on place chair participants "
                               "votes_for votes_against votes_abstain outcome notes "
                               "recorded_by_id recorded_at")
        # Parents before children: COPY checks foreign keys row by row.
        self.tables = [self.person, self.household, self.membership, self.case, self.deadline,
                       self.event, self.head, self.authorization, self.report, self.visit,
                       self.objection, self.appraisal]

    # -- helpers -----------------------------------------------------------------------------
    def _id(self, table: Table) -> int:
        value = table.next_id
        table.next_id += 1
        return value

    def batch(self, households: int) -> Batch:
        """The rows generated since the last batch, handed over (and cleared here)."""
        parts = []
        for t in self.tables:
            if t.rows:
                parts.append((t, _copy_text(t) if self.text else t.rows, t.next_id - 1))
                t.rows = []
        counters = [CaseNumberCounter(township_id=t, year=y, kind=k, last=n)
                    for (t, y, k), n in self.counters.items()]
        return Batch(households, parts, counters)

    @staticmethod
    def _name(rng: random.Random, surname: str, male: bool, born: dt.date) -> str:
        pool = (GIVEN_OLD if born.year < 1975 else GIVEN_NEW)["M" if male else "F"]
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
        return surname + given

    # -- households --------------------------------------------------------------------------
    def household_rows(self, h: int) -> None:
        """Household number `h` (0-based, global), its members and its cases."""
        rng = random.Random(self.plan.seed * 7_919_413 + h)
        village = rng.choices(self.villages, self.village_weights)[0]
        urban = village.kind == "community"
        created = self.now - _days(rng, 40, 6 * 365)
        hid = self._id(self.household)
        members = self._members(rng, hid, created, urban)
        head = members[0]
        self.household.rows.append((
            hid, village.pk, f"兰山区{village.township.name}{village.short_name}"
            f"{rng.randint(1, 300)}号", "urban" if urban else "rural", head.id,
            "兰山农商银行" if rng.random() < 0.8 else "",
            self.seal.unique(str(rng.randint(10**15, 10**16 - 1)) if rng.random() < 0.8
                             else ""), SEED_MARK, created, created,
            village.township_id,
        ))
        whole = int(self.plan.cases_per_household)
        n_cases = whole + (rng.random() < self.plan.cases_per_household - whole)
        anchor = None
        for i in reversed(range(n_cases)):
            if i == n_cases - 1:
                state = STATES[h] if h < len(STATES) else rng.choices(STATES, WEIGHTS)[0]
            else:
                state = rng.choice(PAST_STATES)
            anchor = self._case(rng, hid, village, members, state, before=anchor,
                                after=created)

    def _members(self, rng, hid: int, created: dt.datetime, urban: bool) -> list[Member]:
        size = rng.choices((1, 2, 3, 4, 5, 6), (25, 30, 20, 14, 8, 3))[0]
        year = self.today.year
        head_year = rng.choices((rng.randint(1932, 1960), rng.randint(1961, 1985),
                                 rng.randint(1986, 2002)), (45, 40, 15))[0]
        head_male = rng.random() < 0.6
        surname = rng.choice(SURNAMES)
        plan = [("head", head_year, head_male, surname)]
        if size >= 2 and rng.random() < 0.75:
            plan.append(("spouse", head_year + rng.randint(-4, 4), not head_male,
                         rng.choice(SURNAMES)))
        while len(plan) < size:
            if head_year < 1962 and rng.random() < 0.5 and len(plan) < size:
                child_year = head_year + rng.randint(22, 34)
                kid = rng.random() < 0.5
                plan.append(("son" if kid else "daughter", child_year, kid, surname))
                if len(plan) < size:
                    plan.append(("grandchild", min(child_year + rng.randint(20, 30), year - 1),
                                 rng.random() < 0.5, surname))
            elif head_year > 1975 and rng.random() < 0.3:
                plan.append(("parent", head_year - rng.randint(22, 32), rng.random() < 0.5,
                             surname))
            else:
                kid = rng.random() < 0.5
                plan.append(("son" if kid else "daughter",
                             min(head_year + rng.randint(20, 38), year - 1), kid, surname))
        members = []
        for relationship, born_year, male, family in plan[:size]:
            born_year = max(1925, min(born_year, year - 1))
            born = dt.date(born_year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
            born = min(born, self.today - dt.timedelta(days=30))
            age = self.today.year - born.year
            disabled = age > 55 and rng.random() < 0.15
            able = 16 <= age < 60 and not disabled and rng.random() < 0.7
            pid = self._id(self.person)
            number = self.ids.make(born, male)
            seal = self.seal
            self.person.rows.append((
                pid, self._name(rng, family, male, born), seal.unique(number),
                crypto.id_hash(number, normalized=True),
                crypto.id_tail_hash(number, normalized=True), "M" if male else "F", born,
                seal.unique(f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}")
                if age >= 16 and rng.random() < 0.7 else seal.common(""),
                "urban" if urban else "rural",
                seal.common(rng.randint(1, 4) if disabled else 0),
                seal.common(rng.choice(("physical", "visual", "mental", "intellectual"))
                            if disabled else ""),
                seal.common("disabled" if disabled else rng.choice(
                    ("healthy", "healthy", "chronic", "serious")) if age > 45 else "healthy"),
                "full" if able else ("none" if disabled or age >= 70 or age < 16
                                     else "partial"),
                "在校学生" if 6 <= age < 19 else rng.choice(OCCUPATIONS) if age >= 19 else "",
                created, created,
            ))
            self.membership.rows.append((self._id(self.membership), hid, pid, relationship,
                                         created.date(), None))
            members.append(Member(pid, "", born, relationship, able))
        return members

    # -- cases -------------------------------------------------------------------------------
    def _number(self, township: Township, kind: str, applied_at: dt.datetime) -> str:
        year = _local_date(applied_at).year
        key = (township.pk, year, kind)
        self.counters[key] = n = self.counters.get(key, 0) + 1
        return f"{township.code}-{year}-{KIND_CODES[CaseKind(kind)]}-{n:05d}"

    def _case(self, rng, hid: int, village: Village, members: list[Member], state: str,
              *, before: dt.datetime | None, after: dt.datetime) -> dt.datetime:
        """One case of the household, ending in `state`; returns when it was applied for."""
        if state in EMERGENCY_STATES:
            kind = K.TEMP_EMERGENCY
        elif state in ENTITLEMENT_STATES:
            kind = K.DIBAO if rng.random() < 0.75 else K.TEKUN
        else:
            kind = rng.choices((K.DIBAO, K.TEKUN, K.TEMP_EXPENDITURE), (60, 15, 25))[0]
        path = PATHS[state]
        if kind == K.TEMP_EMERGENCY and state == S.REJECTED:
            path = ["reject_emergency"]
        elif "close_publicity" in path and state != S.AWAITING_APPRAISAL and \
                rng.random() < 0.06:  # an objection in publicity, then an appraisal (S10)
            at = path.index("close_publicity")
            path = [*path[:at], "object", "close_publicity", "appraise", *path[at + 1:]]
        gaps = [GAPS[step](rng) for step in path]
        if before is None:
            low, high = AGE_DAYS.get(state, FINAL_AGE_DAYS)
            last = self.now - _days(rng, low, high)
        else:
            last = before - _days(rng, 2, 200)
        applied_at = max(last - sum(gaps, dt.timedelta()), after)
        staff = self.staff[village.township_id]
        number = self._number(village.township, kind, applied_at)
        book = CaseBook(self, rng, CaseState(self._id(self.case)), kind, members, staff,
                        applied_at)
        book.create(number, hid, village.township.code)
        book.run(path, gaps)
        book.mark_open_clocks()
        f = book.facts
        self.case.rows.append((
            book.case.id, number, kind, hid, members[0].id, village.township_id, village.pk,
            rng.choice(HARDSHIPS[5:] if kind == K.TEMP_EMERGENCY else HARDSHIPS[:5]),
            applied_at, f.get("accepted_at"), f.get("decided_at"),
            staff.leader if kind == K.TEMP_EMERGENCY else staff.clerk,
            f.get("proposed_amount"), f.get("approved_amount"), f.get("covered_persons"),
            f.get("review_opinion", ""), f.get("decision_reason", ""),
            applied_at if kind == K.TEMP_EMERGENCY else None, f.get("aid_given_at"),
            f.get("aid_amount"), f.get("aid_reason", ""), f.get("paperwork_complete", False),
            book.t, book.status, *((book.next_due(),) if NEXT_DUE_FIELD else ()),
        ))
        self.head.rows.append((self._id(self.head), book.case.id, book.case.seq,
                               book.case.prev))
        return applied_at


# Steps after creation to reach each state (as `cases.demo_cases.PATHS`, plus history).
_TO_INVESTIGATE = ["authorize", "accept", "verify", "visit"]
_TO_SIGN_OFF = [*_TO_INVESTIGATE, "propose", "close_publicity"]
PATHS: dict[str, list[str]] = {
    S.RECEIVED: ["authorize"],
    S.INVESTIGATING: _TO_INVESTIGATE,
    S.RECHECK: [*_TO_INVESTIGATE, "open_recheck", "recheck_report"],
    S.IN_PUBLICITY: [*_TO_INVESTIGATE, "propose"],
    S.AWAITING_APPRAISAL: [*_TO_INVESTIGATE, "propose", "object", "close_publicity"],
    S.AWAITING_SIGN_OFF: _TO_SIGN_OFF,
    S.APPROVED: [*_TO_SIGN_OFF, "sign_off"],
    S.SUSPENDED: [*_TO_SIGN_OFF, "sign_off", "suspend"],
    S.TERMINATED: [*_TO_SIGN_OFF, "sign_off", "terminate"],
    S.REJECTED: [*_TO_INVESTIGATE, "reject"],
    S.WITHDRAWN: ["authorize", "withdraw"],
    S.EMERGENCY_REPORTED: [],
    S.AID_GIVEN: ["give_aid"],
    S.CLOSED: ["give_aid", "register"],
}
_G = Callable[[random.Random], dt.timedelta]
GAPS: dict[str, _G] = {
    "authorize": lambda r: _days(r, 0, 0.05),
    "accept": lambda r: _days(r, 0.1, 3),
    "verify": lambda r: _days(r, 2, 10),
    "visit": lambda r: _days(r, 0.5, 5),
    "open_recheck": lambda r: _days(r, 1, 5),
    "recheck_report": lambda r: _days(r, 2, 9),
    "propose": lambda r: _days(r, 0.5, 4),
    "object": lambda r: _days(r, 1, 6),
    "close_publicity": lambda r: _days(r, 8, 8.1),
    "appraise": lambda r: _days(r, 2, 8),
    "sign_off": lambda r: _days(r, 0.2, 5),
    "suspend": lambda r: _days(r, 30, 500),
    "terminate": lambda r: _days(r, 30, 700),
    "reject": lambda r: _days(r, 0.5, 5),
    "reject_emergency": lambda r: _days(r, 0.01, 0.5),
    "withdraw": lambda r: _days(r, 0.5, 10),
    "give_aid": lambda r: _days(r, 0.05, 0.9),
    "register": lambda r: _days(r, 1, 6),
}



class CachedCalendar(WorkCalendar):
    """The database calendar with every day's answer kept: millions of clocks ask about the
    same thousand days."""

    def __init__(self):
        super().__init__()
        self._days: dict = {}

    def day(self, day: dt.date, *, provisional: bool = False):
        key = (day, provisional)
        found = self._days.get(key)
        if found is None:
            found = self._days[key] = super().day(day, provisional=provisional)
        return found


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date()


class CaseBook:
    """One case's history, step by step, as the services would have written it."""

    def __init__(self, gen: Generator, rng: random.Random, case: CaseState, kind: str,
                 members: list[Member], staff: Staff, applied_at: dt.datetime):
        self.g = gen
        self.rng = rng
        self.case = case
        self.kind = kind
        self.members = members
        self.staff = staff
        self.t = applied_at
        self.status = S.EMERGENCY_REPORTED if kind == K.TEMP_EMERGENCY else S.RECEIVED
        self.facts: dict = {}
        self.has_publicity_objection = False

    # -- the trail and the clocks --------------------------------------------------------
    def event(self, actor, action: str, *, to: str = "", note: str = "",
              payload: dict | None = None, moved: bool = False) -> None:
        case = self.case
        case.seq += 1
        payload = _payload_json(payload or {})
        frm = str(self.status) if moved else ""
        if moved:
            self.status = to
        at = _utc_text(self.t)
        digest = _canonical_hash(case.prev, case.id, case.seq, at, actor, action, frm, to,
                                 note, payload)
        eid = self.g._id(self.g.event)
        if self.g.text:  # straight to a COPY line: the trail is most of the data
            self.g.event.rows.append(
                f"{eid}\t{case.id}\t{case.seq}\t{at}\t{NULL if actor is None else actor}\t"
                f"{action}\t{frm}\t{to}\t{_escape(note)}\t{_escape(payload)}\t{case.prev}\t"
                f"{digest}{self.g.event.tail}")
        else:
            self.g.event.rows.append((eid, case.id, case.seq, self.t, actor, action, frm, to,
                                      note, payload, case.prev, digest))
        case.prev = digest

    def move(self, actor, action: str, to: str, *, note: str = "",
             payload: dict | None = None) -> None:
        self.event(actor, action, to=to, note=note, payload=payload, moved=True)

    def start_clock(self, kind: str, unit: str, amount: int, clause: str) -> list:
        due_at, confirmed, explanation = self.g.due(unit, amount, self.t)
        row = [self.g._id(self.g.deadline), self.case.id, kind, clause, unit, amount, self.t,
               due_at, confirmed, explanation, "open", None, None, None, None, None, None]
        self.g.deadline.rows.append(row)
        self.case.clocks[kind] = row
        self.event(None, "deadline_started", payload={
            "kind": kind, "clause": clause, "unit": unit, "amount": amount,
            "start_at": self.t.isoformat(), "due_at": due_at.isoformat(),
            "confirmed": confirmed})
        return row

    def settle(self, kinds: Iterable[str], *, cancel: bool = False) -> None:
        rows = [r for k, r in self.case.clocks.items()
                if k in kinds and r[D_STATUS] in ("open", "paused")]
        for row in sorted(rows, key=lambda r: r[D_DUE]):
            if cancel:
                row[D_STATUS] = "cancelled"
            elif row[D_STATUS] == "paused" or self.t <= row[D_DUE]:
                row[D_STATUS] = "met"
            else:
                row[D_STATUS] = "met_late"
            row[D_SETTLED] = self.t
            self.event(None, "deadline_settled", payload={
                "kind": row[D_KIND], "status": row[D_STATUS],
                "due_at": row[D_DUE].isoformat()})

    def tick(self, minutes: float) -> None:
        self.t += dt.timedelta(minutes=minutes)

    # -- steps ---------------------------------------------------------------------------
    def create(self, number: str, household_id: int, township_code: str) -> None:
        emergency = self.kind == K.TEMP_EMERGENCY
        self.event(self.staff.leader if emergency else self.staff.clerk, "created",
                   to=self.status, payload={
                       "number": number, "kind": self.kind, "household": household_id,
                       "applicant": self.members[0].id, "township": township_code})
        if emergency:
            self.start_clock("emergency_aid", "hour", settings.EMERGENCY_AID_HOURS, "S11")

    def run(self, path: list[str], gaps: list[dt.timedelta]) -> None:
        for step, gap in zip(path, gaps, strict=True):
            if step in ("suspend", "terminate"):
                self.reviews(until=self.t + gap)
            self.t += gap
            getattr(self, "step_" + step)()
        if self.status == S.APPROVED:
            self.reviews(until=self.g.now)

    def step_authorize(self) -> None:
        if self.kind not in (K.DIBAO, K.TEKUN):
            return
        day = _local_date(self.t)
        for member in self.members:
            if (day - member.born).days < 18 * 365.25:
                continue
            self.tick(self.rng.uniform(1, 4))
            self.g.authorization.rows.append((self.g._id(self.g.authorization), self.case.id,
                                              member.id, day, "", self.staff.clerk, self.t))
            self.event(self.staff.clerk, "authorization_recorded",
                       payload={"person": member.id, "signed_on": day.isoformat()})

    def step_accept(self) -> None:
        self.facts["accepted_at"] = self.t
        self.move(self.staff.clerk, "accept", S.INVESTIGATING)
        if self.kind != K.TEMP_EMERGENCY:
            self.start_clock("decision", "workday", settings.DECISION_WORKDAYS,
                             "S12" if self.kind == K.TEMP_EXPENDITURE else "S4")

    def _report(self, recheck: bool) -> None:
        income = _money(self.rng.uniform(0, 400) * len(self.members))
        rid = self.g._id(self.g.report)
        self.g.report.rows.append((
            rid, self.case.id, recheck, Decimal(income), "无大额存款，无机动车辆。",
            "复查：存款为代管他人款项，予以更正。" if recheck else "家庭人均收入低于当地低保标准。",
            self.staff.verifier, self.t))
        self.event(self.staff.verifier,
                   "recheck_report_recorded" if recheck else "verification_recorded",
                   payload={"report": rid, "monthly_income": income})

    def step_verify(self) -> None:
        self._report(False)

    def step_recheck_report(self) -> None:
        self._report(True)

    def step_visit(self) -> None:
        names = self.rng.sample(INVESTIGATORS, 2)
        vid = self.g._id(self.g.visit)
        day = _local_date(self.t)
        self.g.visit.rows.append((vid, self.case.id, day, names, "住房简陋，无大额财产。",
                                  self.staff.clerk, self.t))
        self.event(self.staff.clerk, "home_visit_recorded", payload={
            "visit": vid, "visited_on": day.isoformat(), "investigators": names})

    def _objection(self, kind: str, channel: str, content: str) -> int:
        oid = self.g._id(self.g.objection)
        self.g.objection.rows.append((oid, self.case.id, kind, channel, content, self.t,
                                      self.staff.clerk))
        return oid

    def step_open_recheck(self) -> None:
        oid = self._objection("verification", "in_person", "申请人认为存款数据有误。")
        self.move(self.staff.clerk, "open_recheck", S.RECHECK, payload={"objection": oid})
        self.start_clock("recheck", "workday", settings.RECHECK_WORKDAYS, "S5")

    def step_propose(self) -> None:
        persons = len(self.members)
        amount = _money(persons * (self.rng.choice((620, 650, 680, 720)) if self.kind !=
                                   K.TEKUN else 1050))
        opinion = "符合条件，同意纳入保障。"
        self.facts.update(proposed_amount=Decimal(amount), review_opinion=opinion,
                          covered_persons=persons)
        self.move(self.staff.clerk, "propose_approval", S.IN_PUBLICITY, note=opinion,
                  payload={"amount": amount, "covered_persons": persons})
        self.start_clock("publicity", "day", settings.PUBLICITY_DAYS, "S6")
        decision = self.case.clocks.get("decision")
        if settings.PUBLICITY_PAUSES_DECISION_CLOCK and decision and decision[D_STATUS] == \
                "open":
            today = _local_date(self.t)
            due_day = _local_date(decision[D_DUE])
            remaining = self.g.workdays_left(today, due_day) if due_day > today else 0
            decision[D_STATUS] = "paused"
            decision[D_PAUSED] = self.t
            decision[D_REMAINING] = remaining
            self.event(None, "deadline_paused", payload={
                "kind": "decision", "remaining_workdays": remaining,
                "reason": "审批公示期间暂停计时"})

    def step_object(self) -> None:
        oid = self._objection("publicity", "phone", "反映其子女有经营收入。")
        self.has_publicity_objection = True
        self.event(self.staff.clerk, "publicity_objection",
                   payload={"objection": oid, "channel": "phone"})

    def step_close_publicity(self) -> None:
        if self.has_publicity_objection:
            self.move(None, "end_publicity_with_objection", S.AWAITING_APPRAISAL)
        else:
            self.move(None, "end_publicity", S.AWAITING_SIGN_OFF)
        self.settle(["publicity"])
        decision = self.case.clocks.get("decision")
        if decision and decision[D_STATUS] == "paused":
            due_at, confirmed, explanation = self.g.due("workday", decision[D_REMAINING] or 0,
                                                        self.t)
            merged = dict(decision[D_EXPLANATION])
            merged.setdefault("due_if_publicity_counted", decision[D_DUE].isoformat())
            merged["resumed"] = {"at": self.t.isoformat(),
                                 "remaining_workdays": decision[D_REMAINING],
                                 "paused_at": decision[D_PAUSED].isoformat(),
                                 "then": explanation}
            decision[D_STATUS] = "open"
            decision[D_DUE] = due_at
            decision[D_CONFIRMED] = decision[D_CONFIRMED] and confirmed
            decision[D_EXPLANATION] = merged
            self.event(None, "deadline_resumed",
                       payload={"kind": "decision", "due_at": due_at.isoformat()})

    def step_appraise(self) -> None:
        votes = [self.rng.randint(5, 9), self.rng.randint(0, 2), self.rng.randint(0, 1)]
        aid = self.g._id(self.g.appraisal)
        day = _local_date(self.t)
        self.g.appraisal.rows.append((
            aid, self.case.id, day, "村委会会议室", "村党支部书记",
            [{"name": name, "capacity": "村民代表"} for name in INVESTIGATORS[:5]],
            *votes, "supported", "", self.staff.clerk, self.t))
        self.move(self.staff.clerk, "record_appraisal", S.AWAITING_SIGN_OFF, payload={
            "appraisal": aid, "outcome": "supported", "votes": votes})

    def _review_clock(self) -> None:
        day = _local_date(self.t)
        intervals = settings.PERIODIC_REVIEW_MONTHS[self.kind]
        able = any(m.able for m in self.members)
        months = int(intervals["able_to_work"] if able else intervals["default"])
        row = self.start_clock("periodic_review", "day",
                               (_add_months(day, months) - day).days, "动态管理")
        explanation = dict(row[D_EXPLANATION])
        reason = "家庭有具备劳动能力的成员" if able else "家庭成员无劳动能力或情况较稳定"
        explanation["review"] = {"months": months, "able_to_work": able}
        explanation["summary"] = (f"动态管理：每{months}个月复核一次（{reason}）。"
                                  + explanation.get("summary", ""))
        row[D_EXPLANATION] = explanation

    def step_sign_off(self) -> None:
        amount = self.facts.get("proposed_amount")
        self.facts.update(decided_at=self.t, approved_amount=amount)
        self.move(self.staff.leader, "sign_off", S.APPROVED,
                  payload={"amount": str(amount) if amount is not None else None})
        self.settle(["decision"])
        self._review_clock()

    def reviews(self, *, until: dt.datetime) -> None:
        """Periodic reviews (动态管理) held on time while the entitlement ran."""
        while True:
            clock = self.case.clocks.get("periodic_review")
            if clock is None or clock[D_STATUS] != "open" or clock[D_DUE] >= until:
                return
            self.t = max(self.t + dt.timedelta(hours=1),
                         clock[D_DUE] - _days(self.rng, 0.5, 20))
            self.settle(["periodic_review"])
            self.event(self.staff.leader, "periodic_review", to=self.status,
                       note="入户复核，家庭情况无明显变化。", payload={
                           "outcome": "continue", "outcome_label": "继续保障", "amount": None,
                           "reason": ""}, moved=True)
            self._review_clock()

    def step_suspend(self) -> None:
        reason = "外出务工，暂停发放。"
        self.facts["decision_reason"] = reason
        self.move(self.staff.leader, "suspend", S.SUSPENDED, note=reason)

    def step_terminate(self) -> None:
        reason = "家庭人均收入已超过低保标准。"
        self.facts["decision_reason"] = reason
        self.move(self.staff.leader, "terminate", S.TERMINATED, note=reason)
        self.settle(["periodic_review"], cancel=True)

    def step_reject(self) -> None:
        reason = "家庭人均收入高于低保标准。"
        self.facts.update(decision_reason=reason, decided_at=self.t)
        self.move(self.staff.leader, "reject", S.REJECTED, note=reason)
        self.settle(["decision", "emergency_aid"])
        self.settle(["publicity", "recheck"], cancel=True)

    def step_reject_emergency(self) -> None:
        reason = "经核实不属于急难情形。"
        self.facts.update(decision_reason=reason, decided_at=self.t)
        self.move(self.staff.leader, "reject_emergency", S.REJECTED, note=reason)
        self.settle(["decision", "emergency_aid"])

    def step_withdraw(self) -> None:
        self.move(self.staff.clerk, "withdraw", S.WITHDRAWN, note="申请人当面书面撤回。")
        self.settle(list(self.case.clocks), cancel=True)

    def step_give_aid(self) -> None:
        amount = _money(self.rng.choice((1000, 2000, 3000, 5000)))
        reason = "房屋失火，生活无着。"
        self.facts.update(aid_amount=Decimal(amount), aid_reason=reason, aid_given_at=self.t)
        self.move(self.staff.leader, "give_aid", S.AID_GIVEN, note=reason,
                  payload={"amount": amount})
        self.settle(["emergency_aid"])
        self.start_clock("emergency_registration", "workday",
                         settings.EMERGENCY_REGISTRATION_WORKDAYS, "S11")

    def step_register(self) -> None:
        amount = str(self.facts["aid_amount"])
        reason = self.facts["aid_reason"]
        self.facts.update(paperwork_complete=True, decided_at=self.t)
        self.move(self.staff.leader, "register_emergency", S.CLOSED, note=reason,
                  payload={"amount": amount})
        self.settle(["emergency_registration"])

    def next_due(self) -> dt.datetime | None:
        """The nearest due moment of the clocks still running (`Case.next_due_at`)."""
        return min((r[D_DUE] for r in self.case.clocks.values() if r[D_STATUS] == "open"),
                   default=None)

    def mark_open_clocks(self) -> None:
        """The sweep's marks on clocks still running, as if it had run all along: at risk
        within 3 working days (6 hours for hour clocks), breached once past due, emergency
        aid escalated after `EMERGENCY_ESCALATION_HOURS` (the rule of
        `cases.deadline_state.clock_state`)."""
        now = self.g.now
        today = self.g.today
        for row in self.case.clocks.values():
            if row[D_STATUS] != "open":
                continue
            due = row[D_DUE]
            if row[D_UNIT] == "hour":
                at_risk = due - now <= dt.timedelta(hours=6)
            else:
                due_day = _local_date(due)
                at_risk = due_day < today or self.g.workdays_left(today, due_day) <= 3
            if at_risk:
                row[D_AT_RISK] = max(row[D_START], min(now, due - dt.timedelta(days=4)))
            if due < now:
                row[D_BREACHED] = min(now, due + dt.timedelta(seconds=self.rng.uniform(1, 120)))
            if row[D_KIND] == "emergency_aid":
                escalate = row[D_START] + dt.timedelta(hours=ESCALATION_HOURS)
                if escalate < now:
                    row[D_ESCALATED] = min(now, escalate + dt.timedelta(
                        seconds=self.rng.uniform(1, 120)))


# Positions in a deadline row (`Generator.deadline` fields).
(D_ID, D_CASE, D_KIND, D_CLAUSE, D_UNIT, D_AMOUNT, D_START, D_DUE, D_CONFIRMED, D_EXPLANATION,
 D_STATUS, D_PAUSED, D_REMAINING, D_SETTLED, D_AT_RISK, D_BREACHED, D_ESCALATED) = range(17)


def memoised_due(calendar: WorkCalendar) -> Callable:
    """`compute_due` as (due_at, confirmed, explanation), memoised on the start's local date
    for day and working-day clocks (the date is all they depend on)."""

    @cache
    def by_date(unit: str, amount: int, day: dt.date):
        start = dt.datetime.combine(day, dt.time(12), tzinfo=SHANGHAI)
        return compute_due(unit, amount, start, calendar=calendar)

    @cache
    def template(unit: str, amount: int, day: dt.date) -> tuple[str, str]:
        explanation = dict(by_date(unit, amount, day).explanation)
        explanation["basis"] = {**explanation["basis"], "start_at": "@@start@@"}
        before, after = _json_text(explanation).split("@@start@@")
        return before, after

    def due(unit: str, amount: int, start_at: dt.datetime):
        if unit == "hour":
            result = compute_due(unit, amount, start_at, calendar=calendar)
            return result.due_at, result.confirmed, result.explanation
        day = _local_date(start_at)
        result = by_date(unit, amount, day)
        start = start_at.astimezone(SHANGHAI).isoformat()
        explanation = Explanation(result.explanation)
        explanation["basis"] = {**explanation["basis"], "start_at": start}
        explanation.template = template(unit, amount, day)
        explanation.start_at = start
        return result.due_at, result.confirmed, explanation

    return due


# --- Running ------------------------------------------------------------------------------

@dataclass
class Result:
    households: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


LOCK_KEY = 0x5CA1E  # pg advisory lock: one seed_scale at a time per database


def run(plan: Plan, *, chunk: int = 5000, progress: Callable[[int, int], None] | None = None,
        password: str = DEFAULT_PASSWORD, vacuum: bool = True) -> Result:
    """Generate and write `plan`, one transaction per `chunk` households.

    On PostgreSQL outside a transaction, a second thread writes (COPY) while the next chunk
    is generated. Ids are handed out from the highest in use, so nothing else may insert
    into these tables while a run lasts (a second run is refused by an advisory lock). At the
    end the tables are analysed, and vacuumed unless `vacuum` is False, so that index-only
    scans work at once, as they would after autovacuum.
    """
    started = time.monotonic()
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise ScaleError("another seed_scale run is writing to this database")
    try:
        result = _run(plan, chunk, progress, password,
                      threaded=postgres and not connection.in_atomic_block)
        if postgres and result.households:
            with connection.cursor() as cursor:
                for t in Generator.TABLE_MODELS:
                    table = t._meta.db_table
                    vacuumable = vacuum and not connection.in_atomic_block
                    cursor.execute(f"{'VACUUM (ANALYZE)' if vacuumable else 'ANALYZE'} {table}")
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    result.seconds = time.monotonic() - started
    return result


def _run(plan: Plan, chunk: int, progress, password: str, *, threaded: bool) -> Result:
    check_trail_format()
    staff = ensure_staff(password)
    ids = IdNumbers()
    # A top-up run decrypts the existing numbers once (about 17 s per million).
    ids.load(Person.objects.values_list("id_number", flat=True).iterator(chunk_size=20000))
    generator = Generator(plan, staff, timezone.now(), ids)
    first_ids(generator.tables)
    result = Result(rows={t.model.__name__: 0 for t in generator.tables})
    written = 0

    def report(households: int) -> None:
        nonlocal written
        written += households
        if progress:
            progress(written, plan.to_add)

    writer = Writer(report) if threaded else None
    if writer:
        writer.start()
    try:
        for first in range(plan.start, plan.total, chunk):
            last = min(first + chunk, plan.total)
            for h in range(first, last):
                generator.household_rows(h)
            for t in generator.tables:
                result.rows[t.model.__name__] += len(t.rows)
            batch = generator.batch(last - first)
            result.households += last - first
            if writer:
                writer.put(batch)
            else:
                write_batch(batch)
                report(batch.households)
    finally:
        if writer:
            writer.finish()
    return result
