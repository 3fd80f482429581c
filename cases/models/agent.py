"""The person an applicant delegates to act for them (委托代理人), kept with the case."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from cases import crypto, idnumber

from .case import Case
from .people import MaskedIdentityMixin, phone_validator


class CaseAgent(MaskedIdentityMixin, models.Model):
    """The delegate named on the application's 委托授权书 (S15), one per case at most.

    The application's bundle carries a 委托授权书 exactly when the case has one, and the form
    is filled from this row. The ID number and phone are encrypted like a person's
    (`cases.crypto`); the ID number's keyed hash lets the same delegate be found across cases
    (it is not unique: one person may act for several applicants). Written once, at
    acceptance, by `cases.agents.case_agent_record`, which writes the trail; never edited.
    """

    case = models.OneToOneField(Case, verbose_name="案件", on_delete=models.PROTECT,
                                related_name="agent")
    name = models.CharField("受托人姓名", max_length=40)
    id_number = crypto.EncryptedCharField(
        "受托人公民身份号码", max_length=18, hash_field="id_number_hash",
        validators=[idnumber.validate_id_number],
    )
    id_number_hash = crypto.KeyedHashField("身份号码检索摘要", source="id_number",
                                           db_index=True)
    relation = models.CharField("与委托人关系", max_length=20)
    phone = crypto.EncryptedCharField("受托人联系电话", max_length=20, blank=True,
                                      validators=[phone_validator])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人",
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "委托代理人"
        verbose_name_plural = "委托代理人"

    def __str__(self) -> str:
        return self.name
