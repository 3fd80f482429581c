from django.urls import path

from cases.views import case_pages, cases, households

urlpatterns = [
    path("", households.home, name="home"),
    path("households/new/", households.household_create, name="household_create"),
    path("households/<int:pk>/", households.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", households.household_edit, name="household_edit"),
    path("households/<int:household_pk>/cases/new/", cases.case_create, name="case_create"),
    path("id-check/", households.id_check, name="id_check"),
    path("cases/", cases.case_list, name="case_list"),
    # The case page: the summary and its sections, one tab each (cases.views.case_pages).
    path("cases/<int:pk>/", case_pages.case_detail, name="case_detail"),
    path("cases/<int:pk>/materials/", case_pages.case_materials, name="case_materials"),
    path("cases/<int:pk>/visits/", case_pages.case_visits, name="case_visits"),
    path("cases/<int:pk>/objections/", case_pages.case_objections, name="case_objections"),
    path("cases/<int:pk>/documents/", case_pages.case_documents, name="case_documents"),
    path("cases/<int:pk>/trail/", case_pages.case_trail, name="case_trail"),
    path("cases/<int:pk>/do/<slug:action>/", cases.case_action, name="case_action"),
    path("cases/<int:pk>/record/<slug:kind>/", cases.case_evidence, name="case_evidence"),
]

# Clock supervision, periodic review and the reminder inbox.
from cases.views import deadlines, inbox  # noqa: E402

urlpatterns += [
    path("deadlines/", deadlines.deadline_list, name="deadline_list"),
    path("deadlines/district/", deadlines.deadline_district, name="deadline_district"),
    path("cases/<int:pk>/review/", deadlines.case_review, name="case_review"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read-all/", inbox.inbox_read_all, name="inbox_read_all"),
    path("inbox/settings/", inbox.inbox_settings, name="inbox_settings"),
    path("inbox/<int:pk>/read/", inbox.inbox_read, name="inbox_read"),
]

# Verification, confidentiality, assessment, relatives of staff, home visits (S2, S4, S19, S20).
from cases.views import home_visit, verification  # noqa: E402

urlpatterns += [
    path("verification/", verification.verification_home, name="verification_home"),
    path("verification/import/", verification.verification_import,
         name="verification_import"),
    path("verification/access-log/", verification.access_log, name="verification_access_log"),
    path("verification/requests/<int:pk>/cancel/", verification.verification_cancel,
         name="verification_cancel"),
    path("verification/reports/<int:pk>/print/", verification.verification_report_print,
         name="verification_report_print"),
    path("verification/reports/<int:pk>/export/", verification.verification_report_export,
         name="verification_report_export"),
    path("cases/<int:pk>/verification/", verification.verification_case,
         name="verification_case"),
    path("cases/<int:pk>/verification/query/", verification.verification_query,
         name="verification_query"),
    path("cases/<int:pk>/verification/compile/", verification.verification_compile,
         name="verification_compile"),
    path("cases/<int:pk>/verification/request-sheet/", verification.verification_request_sheet,
         name="verification_request_sheet"),
    path("cases/<int:pk>/authorizations/", verification.authorization_scans,
         name="authorization_scans"),
    path("cases/<int:pk>/assessment/", verification.assessment, name="assessment"),
    path("cases/<int:pk>/home-visit/", home_visit.home_visit_new, name="home_visit_new"),
    path("cases/<int:pk>/home-visit/done/", home_visit.home_visit_done, name="home_visit_done"),
    path("home-visit-photos/<int:pk>/", verification.home_visit_photo, name="home_visit_photo"),
    path("relatives/", verification.relatives_page, name="relatives"),
    path("relatives/cases/", verification.relative_cases, name="relative_cases"),
]

# Workspaces.
from cases.views import workspaces  # noqa: E402

urlpatterns += [
    path("leader/queue/", workspaces.leader_queue, name="leader_queue"),
]

# Public case status (no login), the bank roster export and its background jobs.
from cases.views import exports, status  # noqa: E402

urlpatterns += [
    path("gongshi/chaxun/", status.public_case_status, name="public_case_status"),
    path("exports/roster/", exports.roster_export, name="roster_export"),
    path("exports/jobs/<uuid:job_id>/", exports.export_job, name="export_job"),
    path("exports/jobs/<uuid:job_id>/progress/", exports.export_job_progress,
         name="export_job_progress"),
    path("exports/jobs/<uuid:job_id>/download/", exports.export_job_download,
         name="export_job_download"),
]

# The village assistant's phone home page.
from cases.views import assistant  # noqa: E402

urlpatterns += [
    path("assistant/", assistant.assistant_home, name="assistant_home"),
    path("sw.js", assistant.service_worker, name="service_worker"),
]

# The window clerk's workspace and the three-screen acceptance flow (S15).
from cases.views import acceptance, clerk  # noqa: E402

urlpatterns += [
    path("work/", clerk.clerk_home, name="clerk_home"),
    path("accept/", acceptance.accept_start, name="accept_start"),
    path("accept/lookup/", acceptance.accept_lookup, name="accept_lookup"),
    path("accept/case/", acceptance.accept_case, name="accept_case"),
    path("accept/bundle.pdf", acceptance.accept_bundle, name="accept_bundle"),
    path("accept/sign/", acceptance.accept_sign, name="accept_sign"),
    path("accept/done/<int:pk>/", acceptance.accept_done, name="accept_done"),
]

# 急难求助 at the window (S11): the household screen above, then the report.
from cases.views import emergency  # noqa: E402

urlpatterns += [
    path("emergency/report/", emergency.emergency_report, name="emergency_report"),
]

# The landing page after signing in: each role's workspace.
from cases.views import start  # noqa: E402

urlpatterns += [
    path("start/", start.start, name="start"),
]

# A household's payee account: requested by a clerk or leader, confirmed by another leader.
from cases.views import payee  # noqa: E402

urlpatterns += [
    path("households/<int:pk>/account/", payee.household_account, name="household_account"),
    path("households/account-changes/", payee.account_changes, name="account_changes"),
    path("households/account-changes/<int:pk>/confirm/", payee.account_change_confirm,
         name="account_change_confirm"),
    path("households/account-changes/<int:pk>/refuse/", payee.account_change_refuse,
         name="account_change_refuse"),
    path("households/account-changes/<int:pk>/scan/", payee.account_change_scan,
         name="account_change_scan"),
]
