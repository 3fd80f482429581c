"""Publicity URLs: staff pages under /publicity/, public pages under /gongshi/.

Public pages (named ``public_*``, marked `login_not_required`) are listed in
`tests/test_urls_protected.py`; every other URL here needs a login.
"""

from django.urls import path, register_converter

from publicity.views import public, staff


class VillageCodeConverter:
    """A village's statistical division code (12 digits; any run of digits is looked up)."""

    regex = "[0-9]{1,12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(VillageCodeConverter, "village_code")

urlpatterns = [
    # Public (no login): 公示 pages of the villages, the objection form, the policy leaflet.
    path("gongshi/zhengce/", public.policy_page, name="public_policy"),
    path("gongshi/zhengce/mingbaizhi.pdf", public.leaflet_pdf, name="public_leaflet_pdf"),
    path("gongshi/<village_code:code>/", public.village_page, name="public_village"),
    path("gongshi/<village_code:code>/yiyi/", public.objection_form, name="public_objection"),
    path("gongshi/<village_code:code>/yiyi/done/", public.objection_done,
         name="public_objection_done"),
    path("gongshi/yanzhengma/<slug:key>.png", public.captcha_image, name="public_captcha"),
    # Staff
    path("publicity/", staff.batch_list, name="publicity_batch_list"),
    path("publicity/batches/<int:pk>/", staff.batch_detail, name="publicity_batch_detail"),
    path("publicity/batches/<int:pk>/board-<slug:size>.pdf", staff.board_pdf,
         name="publicity_board_pdf"),
    path("publicity/batches/<int:pk>/public.csv", staff.batch_export,
         name="publicity_batch_export"),
    path("publicity/batches/<int:pk>/confirm/", staff.batch_confirm,
         name="publicity_batch_confirm"),
    path("publicity/batches/<int:pk>/photo.jpg", staff.batch_photo,
         name="publicity_batch_photo"),
    path("publicity/cases/<int:case_pk>/objection/", staff.objection_new,
         name="publicity_objection_new"),
    path("publicity/objections/<int:pk>/handle/", staff.objection_handle,
         name="publicity_objection_handle"),
    path("publicity/cases/<int:case_pk>/appraisal/", staff.appraisal_new,
         name="publicity_appraisal_new"),
    path("publicity/appraisals/<int:pk>/scan/", staff.appraisal_scan,
         name="publicity_appraisal_scan"),
]
