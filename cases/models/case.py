"""The case (案件): one application for one kind of assistance by one household."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from cases.workflow import (
    LIVE_STATUSES,
    CaseKind,
    CaseStatus,
    CaseWorkflow,
)

from .org import Township, Village
from .people import Household, Membership, Person
from .standards import EmergencyCause


class AidMethod(models.TextChoices):
    """How 临时救助 is given (S11): money, goods, or a referral to a service."""

    CASH = "cash", "发放现金"
    IN_KIND = "in_kind", "发放实物"
    REFERRAL = "referral", "转介服务"

# The fields the procedure owns: set only by the services of `cases.services` (each writing its
# event on the trail), never edited by hand — read-only in the admin for everyone, superusers
# included (`cases.admin.CaseAdmin`). The other fields say who and where (number, household,
# applicant, township, village, created_by) and are read-only there too.
WORKFLOW_OWNED_FIELDS = (
    "status", "kind", "hardship", "applied_at", "accepted_at", "decided_at",
    "proposed_amount", "approved_amount", "covered_persons", "review_opinion",
    "decision_reason", "reported_at", "aid_given_at", "aid_amount", "aid_reason",
    "aid_cause", "aid_method", "handling_opinion", "leader_opinion", "paperwork_complete",
)


class Case(CaseWorkflow):
    """An application and, once approved, the household's live entitlement."""

    number = models.CharField("案件编号", max_length=40, unique=True)
    kind = models.CharField("救助类别", max_length=20, choices=CaseKind.choices)
    household = models.ForeignKey(
        Household, verbose_name="家庭", on_delete=models.PROTECT, related_name="cases",
    )
    applicant = models.ForeignKey(
        Person, verbose_name="申请人", on_delete=models.PROTECT, related_name="cases_applied",
    )
    township = models.ForeignKey(
        Township, verbose_name="审批镇街", on_delete=models.PROTECT, related_name="cases",
        help_text="依据规定，审批权限下放至镇街(经开区)。",
    )
    village = models.ForeignKey(
        Village, verbose_name="村(社区)", on_delete=models.PROTECT, related_name="cases",
    )
    hardship = models.TextField("申请理由/困难情况", blank=True)
    applied_at = models.DateTimeField("申请时间")
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT,
        related_name="cases_created",
    )
    proposed_amount = models.DecimalField("拟保障金额(元/月)", max_digits=10, decimal_places=2,
                                          null=True, blank=True)
    approved_amount = models.DecimalField("核定保障金额(元)", max_digits=10, decimal_places=2,
                                          null=True, blank=True)
    covered_persons = models.PositiveSmallIntegerField("保障人数", null=True, blank=True)
    review_opinion = models.TextField("审核意见", blank=True)
    # The calculation (保障金额计算) the proposed or adjusted amount rests on, and whether the
    # amount departs from it (an override, with its written reason): set only by
    # `services.case_propose_approval` and `services.case_adjust`.
    assessment = models.ForeignKey(
        "cases.Assessment", verbose_name="依据的保障金额计算", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", editable=False,
    )
    amount_overridden = models.BooleanField(
        "金额与计算结果不一致", default=False, editable=False,
        help_text="拟保障金额、保障人数与保障金额计算结果不一致，或计算结果为不符合条件而拟同意。",
    )
    override_reason = models.TextField("与计算结果不一致的理由", blank=True, editable=False)
    decision_reason = models.TextField("决定理由", blank=True)
    # 急难型临时救助 (S11)
    reported_at = models.DateTimeField("急难报告时间", null=True, blank=True)
    aid_given_at = models.DateTimeField("先行救助时间", null=True, blank=True)
    aid_amount = models.DecimalField("救助金额(元)", max_digits=10, decimal_places=2,
                                     null=True, blank=True)
    aid_reason = models.TextField("救助事由", blank=True)
    # The 临时救助登记审批表's entries (S11); a database default too, since the scale loader
    # (`cases.scale`) copies cases in with the columns it names.
    aid_cause = models.CharField("事由类别", max_length=12, blank=True, default="",
                                 db_default="", choices=EmergencyCause.choices)
    aid_method = models.CharField("救助方式", max_length=12, blank=True, default="",
                                  db_default="", choices=AidMethod.choices)
    handling_opinion = models.TextField("经办意见", blank=True, default="", db_default="")
    leader_opinion = models.TextField("审批意见", blank=True, default="", db_default="")
    paperwork_complete = models.BooleanField("签字盖章手续已补齐", default=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # The nearest due moment of the case's open clocks, kept by the services in the same
    # transaction as every clock change (`services.refresh_next_due`); orders the case list.
    next_due_at = models.DateTimeField("最近到期", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "救助案件"
        verbose_name_plural = "救助案件"
        ordering = ["-applied_at", "-id"]
        indexes = [
            models.Index(fields=["township", "next_due_at", "-applied_at", "-id"],
                         name="case_township_next_due_idx"),
            models.Index(fields=["township", "status", "next_due_at", "-applied_at", "-id"],
                         name="case_township_queue_idx"),
            models.Index(fields=["applicant", "kind"], name="case_applicant_kind_idx"),
            models.Index(fields=["township", "status"], name="case_override_idx",
                         condition=models.Q(amount_overridden=True)),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("case_detail", args=[self.pk])

    @property
    def is_emergency(self) -> bool:
        return self.kind == CaseKind.TEMP_EMERGENCY

    # Facts the workflow rules ask for --------------------------------------------------------
    def adult_members(self):
        """Current household members aged `rules.ADULT_AGE` (18) or over on the application
        date; the same count as the rule `rules.authorizations_complete`."""
        from cases.rules import ADULT_AGE

        day = self.applied_at.date() if self.applied_at else None
        members = [m.person for m in self.household.current_members()]
        if day is None:
            return members
        return [p for p in members if p.age_on(day) >= ADULT_AGE]

    def adults_without_authorization(self) -> list[Person]:
        authorized = set(self.authorizations.values_list("person_id", flat=True))
        return [p for p in self.adult_members() if p.pk not in authorized]

    def conflicting_cases(self):
        """Live 低保/特困 cases of the applicant or any current member (低保 and 特困 exclude
        each other)."""
        if self.kind not in (CaseKind.DIBAO, CaseKind.TEKUN):
            return Case.objects.none()
        # Subqueries, not lists read first: a case page asks this among the questions of its
        # one statement (cases.answers). The cases are found by their applicant and by their
        # household, each through its index, not by a join through every household's members.
        people = Membership.objects.filter(
            models.Q(household_id=self.household_id, ended_on__isnull=True)
            | models.Q(person_id=self.applicant_id)).values("person_id")
        households = Membership.objects.filter(
            person_id__in=people, ended_on__isnull=True).values("household_id")
        live = Case.objects.filter(
            kind__in=[CaseKind.DIBAO, CaseKind.TEKUN], status__in=list(LIVE_STATUSES),
        ).exclude(pk=self.pk).exclude(status=CaseStatus.RECEIVED)
        by_applicant = live.filter(applicant_id__in=people).order_by().values("pk")
        by_household = live.filter(household_id__in=households).order_by().values("pk")
        return live.filter(pk__in=by_applicant.union(by_household))

    def open_recheck_since(self):
        obj = self.objections.filter(kind="verification").order_by("-lodged_at").first()
        return obj.lodged_at if obj else None


class CaseNumberCounter(models.Model):
    """The last case number issued per township, year and kind; locked to stay gap-free."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=CaseKind.choices)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "案件编号计数"
        verbose_name_plural = "案件编号计数"
        constraints = [models.UniqueConstraint(fields=["township", "year", "kind"],
                                               name="case_counter_uniq")]

    def __str__(self) -> str:
        return f"{self.township_id}/{self.year}/{self.kind}: {self.last}"
