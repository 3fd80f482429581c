"""Document URLs: staff downloads and exports, and the public authenticity check."""

from django.urls import path

from documents import views, views_attachments, views_district

urlpatterns = [
    path("documents/<int:pk>/pdf/", views.document_download, name="document_download"),
    path("documents/<int:pk>/deliver/", views.document_deliver, name="document_deliver"),
    path("documents/households/<int:pk>/", views.household_archive_view,
         name="household_archive"),
    path("documents/households/<int:pk>/archive.pdf", views.household_archive_pdf,
         name="household_archive_pdf"),
    path("documents/households/<int:pk>/archive.zip", views.household_archive_zip,
         name="household_archive_zip"),
    path("documents/households/<int:pk>/attachments/", views_attachments.household_attachments,
         name="household_attachments"),
    path("documents/attachments/<int:pk>/", views_attachments.attachment_download,
         name="attachment_download"),
    path("documents/cases/<int:pk>/bundle.pdf", views.case_bundle_pdf, name="case_bundle_pdf"),
    path("documents/cases/<int:pk>/home-visit-form.pdf", views.case_home_visit_form_pdf,
         name="case_home_visit_form_pdf"),
    path("documents/<int:pk>/receipt.pdf", views.document_receipt_pdf,
         name="document_receipt_pdf"),
    path("documents/batch-print/", views.documents_batch_print, name="documents_batch_print"),
    path("district/approval-tables/", views_district.district_reports, name="district_reports"),
    path("district/approval-tables/<int:pk>/ack/", views_district.district_report_ack,
         name="district_report_ack"),
    # Public (login_not_required): the QR code on every issued document points here.
    path("verify/", views.verify_lookup, name="verify_lookup"),
    path("verify/<str:code>/", views.document_verify, name="verify_document"),
]
