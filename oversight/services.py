"""Spot checks (抽查), one transactional function per step; each writes a `SpotCheckEvent`.

S1 delegates the decision to the townships; the district supervises by drawing a random,
reproducible sample of a township's decisions, recording a finding per case (正常 / 有问题),
hearing the township's answer and closing the check. Refusals raise `CaseActionError` with a
Chinese message, and nothing is saved.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from cases.errors import CaseActionError
from cases.models import Case, Township
from oversight import access, sampling
from oversight.aggregates import DECIDED_STATUSES, local_midnight
from oversight.models import Finding, SpotCheck, SpotCheckEvent, SpotCheckItem

MAX_SAMPLE = 500


def _refuse(code: str, message: str):
    raise CaseActionError(code, message)


def _decided(township: Township | int, decided_from: dt.date, decided_to: dt.date):
    township_id = township.pk if isinstance(township, Township) else township
    return Case.objects.filter(
        township_id=township_id, status__in=DECIDED_STATUSES,
        decided_at__gte=local_midnight(decided_from),
        decided_at__lt=local_midnight(decided_to + dt.timedelta(days=1)),
    ).order_by("pk")


def decided_population(township: Township | int, decided_from: dt.date,
                       decided_to: dt.date) -> list[int]:
    """Primary keys, ascending, of the township's cases approved or rejected between the two
    dates (inclusive, Asia/Shanghai) whose amount is the calculation's: the stratum the random
    sample is drawn from."""
    return list(_decided(township, decided_from, decided_to)
                .filter(amount_overridden=False).values_list("pk", flat=True))


def overridden_population(township: Township | int, decided_from: dt.date,
                          decided_to: dt.date) -> list[int]:
    """The decisions of the same period whose amount departs from the calculation
    (`Case.amount_overridden`): their own stratum, every one of them checked."""
    return list(_decided(township, decided_from, decided_to)
                .filter(amount_overridden=True).values_list("pk", flat=True))


def _event(check: SpotCheck, action: str, by, *, item: SpotCheckItem | None = None,
           note: str = "", payload: dict | None = None, at=None) -> SpotCheckEvent:
    return SpotCheckEvent.objects.create(spot_check=check, item=item, action=action, actor=by,
                                         at=at or timezone.now(), note=note,
                                         payload=payload or {})


@transaction.atomic
def spot_check_draw(*, township: Township | None, decided_from: dt.date | None,
                    decided_to: dt.date | None, by, size: int | None = None,
                    percent: Decimal | str | None = None,
                    seed: int | None = None) -> SpotCheck:
    """Draw a random sample of the township's decisions in a date range.

    Two strata: the decisions whose amount is the calculation's, sampled at random; and the
    decisions whose amount departs from it (`Case.amount_overridden`), all of them added after
    the sample. The population size and digest are those of the sampled stratum.

    Args:
        size / percent: how many to draw — a number of cases, or a percentage of the
            population rounded up (exactly one of the two).
        seed: the random seed; a new one is chosen and recorded when not given.

    Returns:
        The new open spot check with its items, in draw order.
    """
    if not access.can_run_spot_checks(by):
        _refuse("forbidden", "只有区民政局工作人员可以开展抽查。")
    if township is None:
        _refuse("invalid", "请选择被抽查的镇街。")
    if decided_from is None or decided_to is None:
        _refuse("invalid", "请填写决定日期的起止。")
    if decided_from > decided_to:
        _refuse("invalid", "起始日期不能晚于截止日期。")
    if (size is None) == (percent in (None, "")):
        _refuse("invalid", "请填写抽取件数或抽取比例，二者选一。")
    if percent not in (None, ""):
        try:
            percent = Decimal(str(percent))
        except InvalidOperation:
            _refuse("invalid", "抽取比例应为数字。")
        if not (Decimal("0") < percent <= Decimal("100")):
            _refuse("invalid", "抽取比例应大于0且不超过100。")
    else:
        percent = None
    if size is not None and size < 1:
        _refuse("invalid", "抽取件数至少为1件。")
    if seed is not None and not (1 <= seed <= sampling.MAX_SEED):
        _refuse("invalid", f"随机种子应为1至{sampling.MAX_SEED}之间的整数。")

    population = decided_population(township, decided_from, decided_to)
    overridden = overridden_population(township, decided_from, decided_to)
    if not population and not overridden:
        _refuse("empty", f"{township.name}在所选期间没有批准或不予批准的案件，无法抽查。")
    k = sampling.size_for(len(population), size=size, percent=percent)
    if not population:
        k = 0
    if k > len(population):
        _refuse("too_many", f"抽取件数（{k}件）超过了总体件数（{len(population)}件）。")
    if k > MAX_SAMPLE:
        _refuse("too_many", f"一次抽查最多抽取{MAX_SAMPLE}件。")
    seed = seed if seed is not None else sampling.new_seed()
    # The random sample, then every decision whose amount departs from its calculation.
    sample = sampling.draw(population, k, seed) + overridden
    now = timezone.now()
    check = SpotCheck.objects.create(
        township=township, decided_from=decided_from, decided_to=decided_to,
        requested_size=size, requested_percent=percent, seed=seed,
        population_size=len(population),
        population_digest=sampling.population_digest(population),
        created_by=by, created_at=now)
    SpotCheckItem.objects.bulk_create([
        SpotCheckItem(spot_check=check, position=i, case_id=pk)
        for i, pk in enumerate(sample, start=1)])
    _event(check, "drawn", by, at=now, payload={
        "seed": seed, "population_size": len(population),
        "population_digest": check.population_digest, "sample": sample,
        "overridden": overridden,
        "size": size, "percent": str(percent) if percent is not None else None})
    return check


def _lock_open(check_id: int) -> SpotCheck:
    check = SpotCheck.objects.select_for_update().get(pk=check_id)
    if check.status != SpotCheck.Status.OPEN:
        _refuse("closed", "该抽查已结束，不能再修改。")
    return check


@transaction.atomic
def spot_check_record_finding(*, item: SpotCheckItem, finding: str, text: str = "",
                              by) -> SpotCheckItem:
    """The bureau's finding on one sampled case: 正常, or 有问题 with what is wrong.

    A finding can be corrected until the township has answered it.
    """
    if not access.can_run_spot_checks(by):
        _refuse("forbidden", "只有区民政局工作人员可以记录抽查结果。")
    check = _lock_open(item.spot_check_id)
    item = SpotCheckItem.objects.select_for_update().get(pk=item.pk)
    text = (text or "").strip()
    if finding not in Finding.values:
        _refuse("invalid", "请选择抽查结果：正常或有问题。")
    if finding == Finding.PROBLEM and not text:
        _refuse("invalid", "抽查结果为“有问题”时，必须写明问题。")
    if item.answered_at is not None:
        _refuse("answered", "镇街已答复该案件的抽查结果，不能再修改。")
    previous = item.finding
    item.finding, item.finding_text = finding, text
    item.found_by, item.found_at = by, timezone.now()
    item.save(update_fields=["finding", "finding_text", "found_by", "found_at"])
    _event(check, "finding_recorded", by, item=item, note=text, at=item.found_at,
           payload={"case": item.case_id, "finding": finding, "previous": previous})
    return item


@transaction.atomic
def spot_check_answer(*, item: SpotCheckItem, text: str, by) -> SpotCheckItem:
    """The township's answer to the bureau's finding on one of its cases (once)."""
    check = SpotCheck.objects.get(pk=item.spot_check_id)
    if not access.can_answer(check, by):
        _refuse("forbidden", "只有被抽查镇街的受理员或分管领导可以答复。")
    check = _lock_open(item.spot_check_id)
    item = SpotCheckItem.objects.select_for_update().get(pk=item.pk)
    text = (text or "").strip()
    if not item.finding:
        _refuse("no_finding", "区民政局尚未记录该案件的抽查结果。")
    if item.answered_at is not None:
        _refuse("answered", "该抽查结果已经答复。")
    if not text:
        _refuse("invalid", "请填写答复内容。")
    item.answer, item.answered_by, item.answered_at = text, by, timezone.now()
    item.save(update_fields=["answer", "answered_by", "answered_at"])
    _event(check, "answered", by, item=item, note=text, at=item.answered_at,
           payload={"case": item.case_id})
    return item


@transaction.atomic
def spot_check_close(*, check: SpotCheck, conclusion: str, by) -> SpotCheck:
    """The bureau closes the check once every case has a finding and every problem an
    answer."""
    if not access.can_run_spot_checks(by):
        _refuse("forbidden", "只有区民政局工作人员可以结束抽查。")
    check = _lock_open(check.pk)
    conclusion = (conclusion or "").strip()
    items = list(check.items.all())
    unreviewed = sum(1 for i in items if not i.finding)
    if unreviewed:
        _refuse("unreviewed", f"还有{unreviewed}件案件未记录抽查结果。")
    unanswered = sum(1 for i in items if i.finding == Finding.PROBLEM and i.answered_at is None)
    if unanswered:
        _refuse("unanswered", f"还有{unanswered}个问题尚待镇街答复。")
    if not conclusion:
        _refuse("invalid", "请填写抽查结论。")
    check.status = SpotCheck.Status.CLOSED
    check.closed_by, check.closed_at, check.conclusion = by, timezone.now(), conclusion
    check.save(update_fields=["status", "closed_by", "closed_at", "conclusion"])
    problems = sum(1 for i in items if i.finding == Finding.PROBLEM)
    _event(check, "closed", by, note=conclusion, at=check.closed_at,
           payload={"items": len(items), "problems": problems})
    return check


def spot_check_reproduce(check: SpotCheck) -> dict:
    """Redraw with the recorded seed: is the population still the same, and the sample?"""
    population = decided_population(check.township_id, check.decided_from, check.decided_to)
    overridden = set(overridden_population(check.township_id, check.decided_from,
                                           check.decided_to))
    recorded = [pk for pk in check.items.order_by("position").values_list("case_id", flat=True)
                if pk not in overridden]
    same_population = sampling.population_digest(population) == check.population_digest
    redrawn = (sampling.draw(population, len(recorded), check.seed)
               if len(recorded) <= len(population) else [])
    return {"same_population": same_population, "same_sample": redrawn == recorded,
            "population_size": len(population)}
