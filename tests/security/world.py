"""The objects every URL of the access matrix and the hostile-input tests needs.

Everything lives in township A (兰山街道) and its first village, built through the services
(`cases.demo_cases.build_case`) as the right staff would. The users come in pairs: "own" works
where the objects are, "other" does not (another township; for assistants another village of
the same township), so one set of objects serves every (role, scope) cell.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.permissions import Role

# The labels of the users of the matrix: role, and scope "own"/"other"/"district".
ANON = "anon"
SCOPED = ("clerk", "verifier", "leader", "assistant")
UNSCOPED = ("bureau", "sysadmin", "secadmin", "auditor", "superuser")
ROLE_OF = {"clerk": Role.CLERK, "verifier": Role.VERIFIER, "leader": Role.LEADER,
           "assistant": Role.ASSISTANT, "bureau": Role.BUREAU, "sysadmin": Role.SYSADMIN,
           "secadmin": Role.SECADMIN, "auditor": Role.AUDITOR, "superuser": None}
USER_LABELS = (ANON, *SCOPED, *(f"{r}:other" for r in SCOPED), *UNSCOPED)


def pdf_bytes() -> bytes:
    """A real one-page PDF (blank A4)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_upload(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def jpeg_upload(name: str = "photo.jpg") -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 140, 90)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@dataclass
class World:
    users: dict[str, object] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)
    # Strings that identify the world's people and cases: an "other" user's page must
    # never contain one of them.
    secrets: list[str] = field(default_factory=list)

    def user(self, label: str):
        return self.users.get(label)


def _ensure_agreement(user) -> None:
    """A current confidentiality agreement for a verification officer (S19), if none yet."""
    from django.core.files.base import ContentFile

    from cases.models import ConfidentialityAgreement
    from cases.verification.access import current_agreement

    if current_agreement(user) is not None:
        return
    start = dt.date(2020, 1, 1)
    agreement = ConfidentialityAgreement(user=user, signed_on=start, valid_from=start,
                                         valid_to=None, recorded_by=user, note="测试数据")
    agreement.scan.save("agreement.pdf", ContentFile(pdf_upload().read()), save=False)
    agreement.save()


def build_users(world: World) -> None:
    from django.contrib.auth import get_user_model

    from cases.management.commands.sync_roles import sync_roles
    from cases.models import Township
    from tests.factories import make_user

    sync_roles()
    township_a = Township.objects.get(code="371302001")
    township_b = Township.objects.get(code="371302102")
    village_a, village_a2 = township_a.villages.order_by("code")[:2]
    world.objects.update(township=township_a, other_township=township_b, village=village_a,
                         other_village=village_a2)
    for role in ("clerk", "verifier", "leader"):
        world.users[role] = make_user(f"m_{role}", ROLE_OF[role], townships=[township_a])
        world.users[f"{role}:other"] = make_user(f"m_{role}_b", ROLE_OF[role],
                                                 townships=[township_b])
    for label in ("verifier", "verifier:other"):
        _ensure_agreement(world.users[label])
    world.users["assistant"] = make_user("m_assistant", Role.ASSISTANT, villages=[village_a])
    world.users["assistant:other"] = make_user("m_assistant_2", Role.ASSISTANT,
                                               villages=[village_a2])
    world.users["bureau"] = make_user("m_bureau", Role.BUREAU, is_staff=True)
    for label in ("sysadmin", "secadmin", "auditor"):
        world.users[label] = make_user(f"m_{label}", ROLE_OF[label], is_staff=True)
    world.users["superuser"] = get_user_model().objects.create_superuser(
        "m_superuser", "m_superuser@example.invalid", "lanshan-test-pass-2024")


def build_objects(world: World) -> None:
    from cases import services
    from cases.demo_cases import build_case, calculate
    from cases.models import Notification, Objection, VerificationSource
    from cases.verification import services as verification_services
    from cases.workflow import CaseStatus as S
    from documents.attachments import attachment_add
    from documents.models import DistrictReport, IssuedDocument
    from publicity import services as publicity_services
    from publicity.models import PublicityBatch
    from tests.factories import HouseholdFactory

    u = world.users
    staff = {"clerk": u["clerk"], "verifier": u["verifier"], "leader": u["leader"]}
    village = world.objects["village"]
    cases = {}
    for state in (S.RECEIVED, S.INVESTIGATING, S.IN_PUBLICITY, S.AWAITING_APPRAISAL,
                  S.AWAITING_SIGN_OFF, S.APPROVED, S.RECHECK, S.SUSPENDED,
                  S.EMERGENCY_REPORTED, S.AID_GIVEN):
        household = HouseholdFactory(village=village, members=2)
        cases[str(state)] = build_case(state, household=household, **staff)
    calculate(cases[str(S.INVESTIGATING)], by=u["clerk"])  # a proposal rests on it
    # A case being verified: accepted, with verification requests and a home visit with photos.
    household = HouseholdFactory(village=village, members=2)
    verifying = build_case(S.RECEIVED, household=household, **staff)
    for person in verifying.adult_members():
        services.authorization_record(case=verifying, person=person,
                                      signed_on=timezone.localdate(), by=u["clerk"],
                                      scan=pdf_upload())
    verifying = services.case_accept(case=verifying, by=u["clerk"])
    requests = verification_services.verification_query(
        case=verifying, by=u["verifier"], sources=[VerificationSource.HUKOU],
        purpose="低保审核")
    visit = services.home_visit_record(case=verifying, visited_on=timezone.localdate(),
                                       investigators=["王强", "李娜"], findings="住房简陋。",
                                       by=u["clerk"], photos=[jpeg_upload()])
    cases["verifying"] = verifying
    # A democratic appraisal recorded after an objection.
    household = HouseholdFactory(village=village, members=2)
    appraised = build_case(S.AWAITING_APPRAISAL, household=household, **staff)
    record = publicity_services.appraisal_record(
        case=appraised, by=u["clerk"], held_on=timezone.localdate(), place="村委会",
        chair="张主任", recorder="李会计",
        participants=[{"name": f"代表{i}", "capacity": "村民代表"} for i in range(5)],
        votes_for=4, votes_against=1, votes_abstain=0, outcome="supported",
        minutes="评议认为情况属实。", scan=pdf_upload())
    cases["appraised"] = appraised
    report = cases["investigating"].verification_reports.order_by("pk").first()
    attachment = attachment_add(household=cases["received"].household,
                                uploaded_file=pdf_upload("hukou.pdf"), kind="hukou_book",
                                by=u["clerk"])
    notifications = {
        label: Notification.objects.create(recipient=u[label], case=cases["received"],
                                           kind=Notification._meta.get_field("kind").choices[0][0],
                                           title="提醒", body="测试提醒")
        for label in ("clerk", "leader")}
    from cases import exports

    job = exports.create_job(township=world.objects["township"], year=2026, month=11,
                             by=u["clerk"], rows=0)
    exports.job_file(job["id"]).write_bytes(b"PK\x03\x04 roster")
    exports.update_job(job["id"], state=exports.JobState.DONE)
    from cases import payee

    account_change = payee.account_change_request(
        household=cases["received"].household, bank_name="中国农业银行临沂兰山支行",
        bank_account="6228480000007654321", reason="原银行卡遗失。", scan=pdf_upload("card.pdf"),
        by=u["clerk"])
    from oversight.services import spot_check_draw

    today = timezone.localdate()
    spot_check = spot_check_draw(township=world.objects["township"],
                                 decided_from=today - dt.timedelta(days=90), decided_to=today,
                                 by=u["bureau"], size=1, seed=1)
    world.objects.update(
        spot_check=spot_check,
        spot_check_item=spot_check.items.order_by("pk").first(),
        export_job=job["id"],
        account_change=account_change,
        household=cases["received"].household,
        cases=cases,
        document=IssuedDocument.objects.filter(case=cases["approved"]).order_by("pk").first(),
        district_report=DistrictReport.objects.order_by("pk").first(),
        batch=PublicityBatch.objects.order_by("pk").first(),
        objection=Objection.objects.filter(case=cases["awaiting_appraisal"]).order_by("pk").first(),
        appraisal_record=record,
        verification_request=requests[0],
        verification_report=report,
        photo=visit.photos.order_by("pk").first(),
        attachment=attachment,
        notifications=notifications,
    )
    for case in cases.values():
        world.secrets.append(case.number)
        for membership in case.household.current_members():
            world.secrets.append(membership.person.id_number)


def build_world() -> World:
    world = World()
    build_users(world)
    build_objects(world)
    return world
