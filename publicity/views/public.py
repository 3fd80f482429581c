"""Public pages (no login): a village's publicity page, the objection form, the policy page
and the 明白纸 (S6, S10, S22).

Read-only and redacted (STYLE rule 9): what they show comes from `publicity.disclosure`
through `publicity.selectors`. Only the objection form accepts a POST; it is CSRF-protected,
rate-limited and behind a captcha (`publicity.captcha`).
"""

from __future__ import annotations

from captcha import views as captcha_views
from captcha.models import CaptchaStore
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from cases.errors import CaseActionError
from lanshan_aid.client_address import client_ip
from publicity import printing, ratelimit, selectors, services
from publicity.forms import PublicObjectionForm

RECEIPT_SESSION_KEY = "publicity_receipt"


def _village_or_404(code: str):
    village = selectors.village_by_code(code)
    if village is None:
        raise Http404("未找到该村(社区)。")
    return village


@login_not_required
@require_GET
@never_cache
def village_page(request: HttpRequest, code: str) -> HttpResponse:
    """The village's running publicity with masked names; ended ones as counts only."""
    village = _village_or_404(code)
    return render(request, "publicity/public/village.html", {
        "village": village, "township": village.township,
        "on_display": selectors.notices_on_display(village),
        "ended": selectors.notices_ended(village),
    })


def _limited(request, village) -> HttpResponse:
    return render(request, "publicity/public/limited.html",
                  {"village": village, "township": village.township if village else None},
                  status=429)


@login_not_required
@require_http_methods(["GET", "POST"])
@csrf_protect
@never_cache
def objection_form(request: HttpRequest, code: str) -> HttpResponse:
    """Object to a household on the village's running publicity (S10)."""
    village = _village_or_404(code)
    entries = selectors.objectable_entries(village)
    ctx = {"village": village, "township": village.township, "open": bool(entries)}
    if not entries:
        return render(request, "publicity/public/objection.html", ctx)
    client = client_ip(request)
    status = 200
    if request.method == "POST":
        sender = services.client_digest(client) or "unknown"
        if not (ratelimit.hit("objection", sender, ratelimit.OBJECTION_PER_CLIENT)
                and ratelimit.hit("objection-village", village.code,
                                  ratelimit.OBJECTION_PER_VILLAGE)):
            return _limited(request, village)
        form = PublicObjectionForm(request.POST, entries=entries)
        if form.is_valid():  # the captcha is a field of the form: checked once, right or wrong
            by_pk = {e.pk: e for e in entries}
            data = form.cleaned_data
            try:
                detail = services.objection_lodge_public(
                    entry=by_pk[data["entry"]], content=data["content"],
                    submitter_name=data["submitter_name"],
                    submitter_contact=data["submitter_contact"], client=client)
            except CaseActionError as exc:
                form.add_error(None, exc.message)
            else:
                request.session[RECEIPT_SESSION_KEY] = {
                    "village": village.code, "receipt": detail.receipt,
                    "content": detail.objection.content,
                }
                return redirect("public_objection_done", code=village.code)
        status = 400
    else:
        form = PublicObjectionForm(entries=entries,
                                   initial={"entry": request.GET.get("entry", "")})
    ctx.update(form=form)
    return render(request, "publicity/public/objection.html", ctx, status=status)


@login_not_required
@require_GET
@never_cache
def objection_done(request: HttpRequest, code: str) -> HttpResponse:
    village = _village_or_404(code)
    # Shown once: the submitted text does not stay in the session.
    receipt = request.session.pop(RECEIPT_SESSION_KEY, None)
    if not receipt or receipt.get("village") != village.code:
        return redirect("public_village", code=village.code)
    return render(request, "publicity/public/objection_done.html", {
        "village": village, "township": village.township, "receipt": receipt,
    })


@login_not_required
@require_GET
@never_cache
def captcha_image(request: HttpRequest, key: str) -> HttpResponse:
    """The picture of one captcha challenge (django-simple-captcha draws it), rate-limited
    per client; 404 for a key that is unknown, used up or expired."""
    sender = services.client_digest(client_ip(request)) or "unknown"
    if not ratelimit.hit("captcha", sender, ratelimit.CAPTCHA_PER_CLIENT):
        return _limited(request, None)
    if not CaptchaStore.objects.filter(hashkey=key, expiration__gt=timezone.now()).exists():
        raise Http404("验证码已失效，请刷新页面。")
    return captcha_views.captcha_image(request, key, scale=1)


@login_not_required
@require_GET
def policy_page(request: HttpRequest) -> HttpResponse:
    """The policy page (S22): procedure, materials, standards in force, each window."""
    return render(request, "publicity/public/policy.html", printing.leaflet_context())


@login_not_required
@require_GET
def leaflet_pdf(request: HttpRequest) -> HttpResponse:
    """The printable 明白纸 (S22)."""
    content = printing.leaflet_pdf(
        policy_url=request.build_absolute_uri(reverse("public_policy")))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="mingbaizhi.pdf"'
    return response
