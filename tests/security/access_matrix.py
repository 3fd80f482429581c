"""The access matrix: what every URL answers to every role, in its own and in another place.

`tests/security/test_access_matrix.py` walks the URL resolver and requests every URL pattern as
every user of `tests/security/world.py` — anonymous; clerk, verification officer, leader and
village assistant each in their own place and in another one ("clerk:other" works in another
township; "assistant:other" in another village of the same township); bureau, system, security
and audit administrators and a superuser — with GET and with POST, and compares the answer
with the table below. A URL with no entry fails the suite.

How to add a URL (one line in `ENTRIES`)
---------------------------------------
    "my_view": E("case:received", get="200: own district; 404: other *", post=405),

* key: the URL name (with its namespace: "api:case_list"); unnamed patterns use their route.
* first argument, the target: the world object whose primary key fills every `<int:…>` of the
  URL: "household", "case:<state>" (received, verifying, investigating, in_publicity,
  awaiting_appraisal, appraised, awaiting_sign_off, approved, recheck, suspended,
  emergency_reported, aid_given), "document", "district_report",
  "batch", "objection", "appraisal_record", "verification_request", "verification_report",
  "photo", "attachment", "notification" (the clerk's), "export_job" (the clerk's),
  "account_change" (a pending change of the household's payee account, asked by the clerk),
  "spot_check", "spot_check_item" (a spot check of township A drawn by the bureau),
  "village_code", "verify_code", or None for a URL without an object. Other URL arguments
  (slugs such as `action`) go in `kwargs={...}`.
* `get=` / `post=`: the expected answer of each user, as "outcome: users; outcome: users".
  Outcomes: 200, 204, 302 (a redirect that is not to a login page), 400, 403, 404, 405,
  `login` (to the login page). Users: the labels above, or the groups `own` (the four scoped
  roles in their place), `other` (the same in another place), `district` (bureau, sysadmin,
  superuser), `admins` (secadmin, auditor), and `*` for everyone not yet named. Anonymous
  users are expected at the login page unless the URL is public (`public=True`). A bare
  outcome (`post=405`) applies to every logged-in user.
* `changes=`: the users whose POST (an empty form) may change the database. Every other POST
  cell must leave it exactly as it was (row counts and the content of the case tables).

Rules the test enforces whatever the table says: a user in another place never gets a 200
page that shows the world's case numbers or ID numbers, anonymous users never get in, and a
refused POST changes nothing.

Admin URLs are covered generically (see `admin_expectation`): the right staff roles — those
whose group holds the model permission (`python manage.py sync_roles`) — may get in; everyone
else gets a 403 (staff) or the admin's login page (not staff).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.security.world import ANON, SCOPED, USER_LABELS

GROUPS = {
    "own": SCOPED,
    "other": tuple(f"{r}:other" for r in SCOPED),
    "district": ("bureau", "sysadmin", "superuser"),
    "admins": ("secadmin", "auditor"),
}
LOGGED_IN = tuple(label for label in USER_LABELS if label != ANON)
OUTCOMES = {"200", "201", "204", "302", "400", "403", "404", "405", "login", "admin-login"}


def parse(spec: str | int | None, *, public: bool = False) -> dict[str, str]:
    """"200: own district; 404: *" -> {user label: outcome} for every user label."""
    out: dict[str, str] = {}
    if spec is None:
        raise ValueError("no expected answers yet: run with ACCESS_MATRIX_RECORD=1 and copy "
                         "the printed line once you have checked it")
    if isinstance(spec, int) or ":" not in str(spec):
        spec = f"{spec}: *"
    for clause in str(spec).split(";"):
        outcome, _, who = clause.partition(":")
        outcome = outcome.strip()
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r} in {spec!r}")
        for token in who.split():
            everyone = USER_LABELS if public else LOGGED_IN
            labels = everyone if token == "*" else GROUPS.get(token, (token,))
            for label in labels:
                if label not in USER_LABELS:
                    raise ValueError(f"unknown user {label!r} in {spec!r}")
                out.setdefault(label, outcome)
    if not public:
        out[ANON] = "login"
    missing = set(USER_LABELS) - set(out)
    if missing:
        raise ValueError(f"{spec!r} says nothing about {sorted(missing)}; end it with '*'")
    return out


@dataclass(frozen=True)
class E:
    """One URL's row of the matrix."""

    target: str | None
    get: str | int | None = None
    post: str | int | None = None
    kwargs: dict = field(default_factory=dict)
    changes: str = ""
    public: bool = False

    def expected(self, method: str) -> dict[str, str]:
        return parse(self.get if method == "GET" else self.post, public=self.public)

    def may_change(self) -> set[str]:
        found: set[str] = set()
        for token in self.changes.split():
            found.update(LOGGED_IN if token == "*" else GROUPS.get(token, (token,)))
        return found


# The table. Read as: "who gets what"; `own` users work where the objects are, `other` users
# in another township (assistants: another village), `district` = bureau, sysadmin, superuser.
ENTRIES: dict[str, E] = {
    "login": E(None, get="200: *", post="200: *", public=True),
    "logout": E(None, get=405, post="login: *"),
    "password_change": E(None, get="200: *", post="200: *"),
    "password_change_done": E(None, get="200: *", post=405),
    "otp_setup": E(None,
        get="200: leader leader:other district admins; 403: *",
        post="200: leader leader:other district admins; 403: *",
        changes="leader leader:other district admins"),  # GET creates the unconfirmed device
    "document_download": E("document", get="404: other admins; 200: *", post=405),
    "document_deliver": E("document",
        get="404: other admins; 200: *",
        post="404: other admins; 400: *"),
    "household_archive": E("household", get="404: other admins; 200: *", post=405),
    "household_archive_pdf": E("household", get="404: other admins; 200: *", post=405),
    "household_archive_zip": E("household", get="404: other admins; 200: *", post=405),
    "household_attachments": E("household",
        get="404: other admins; 200: *",
        post="400: clerk verifier assistant; 403: leader district; 404: *"),
    "attachment_download": E("attachment", get="404: other admins; 200: *", post=405),
    "case_bundle_pdf": E("case:received", get="404: other admins; 200: *", post=405),
    "case_home_visit_form_pdf": E("case:received", get="404: other admins; 200: *", post=405),
    "document_receipt_pdf": E("document", get="404: other admins; 200: *", post=405),
    "documents_batch_print": E(None, get=405, post="400: *"),
    "district_reports": E(None, get="200: *", post=405),
    "district_report_ack": E("district_report",
        get=405,
        post="302: clerk verifier leader district; 404: *", changes="bureau"),
    "verify_lookup": E(None, get="200: *", post=405, public=True),
    "verify_document": E("verify_code", get="200: *", post=405, public=True),
    "public_policy": E(None, get="200: *", post=405, public=True),
    "public_leaflet_pdf": E(None, get="200: *", post=405, public=True),
    "public_village": E("village_code", get="200: *", post=405, public=True),
    "public_objection": E("village_code", get="200: *", post="200: *", public=True),
    "public_objection_done": E("village_code", get="302: *", post=405, public=True),
    # A captcha image needs a live challenge key (tests/publicity); an unknown key is 404.
    "public_captcha": E(None, get="404: *", post=405, public=True, kwargs={"key": "0" * 40}),
    "publicity_batch_list": E(None, get="200: *", post=405),
    "publicity_batch_detail": E("batch", get="404: other admins; 200: *", post=405),
    "publicity_board_pdf": E("batch", get="404: other admins; 200: *", post=405,
        kwargs={"size": "a4"}),
    "publicity_batch_export": E("batch", get="404: other admins; 200: *", post=405),
    "publicity_batch_confirm": E("batch", get=405, post="404: other admins; 400: *"),
    # The world's first sheet is confirmed posted (with its board photo) like every sheet
    # whose cases went past publicity.
    "publicity_batch_photo": E("batch", get="404: other admins; 200: *", post=405),
    "publicity_objection_new": E("case:in_publicity",
        get="404: other admins; 200: *",
        post="404: other admins; 400: *"),
    "publicity_objection_handle": E("objection", get=405, post="404: other admins; 302: *"),
    "publicity_appraisal_new": E("case:awaiting_appraisal",
        get="404: other admins; 200: *",
        post="404: other admins; 400: *"),
    "publicity_appraisal_scan": E("appraisal_record", get="404: other admins; 200: *", post=405),
    "home": E(None, get="200: *", post=405),
    "household_create": E(None,
        get="200: clerk assistant clerk:other assistant:other; 403: *",
        post="200: clerk assistant clerk:other assistant:other; 403: *"),
    "household_detail": E("household",
        get="404: other admins; 200: *",
        post="404: other admins; 200: *"),
    "household_edit": E("household",
        get="200: clerk assistant; 403: verifier leader district; 404: *",
        post="200: clerk assistant; 403: verifier leader district; 404: *"),
    # A household's payee account (cases.payee): asked for by the township's clerk or leader,
    # confirmed or refused by a leader other than the requester (the world's change was asked
    # for by the clerk); an empty refusal has no reason and changes nothing.
    "household_account": E("household",
        get="200: clerk leader; 403: verifier assistant district; 404: *",
        post="400: clerk leader; 403: verifier assistant district; 404: *"),
    "account_changes": E(None, get="200: leader leader:other; 403: *", post=405),
    "account_change_confirm": E("account_change", get=405,
        post="404: other admins; 302: *", changes="leader"),
    "account_change_refuse": E("account_change", get=405, post="404: other admins; 302: *"),
    "account_change_scan": E("account_change",
        get="200: clerk leader; 403: verifier assistant district; 404: *", post=405),
    "case_create": E("household",
        get="404: other admins; 200: *",
        post="404: other admins; 200: *"),
    "id_check": E(None, get="200: *", post=405),
    "case_list": E(None, get="200: *", post=405),
    "case_detail": E("case:received", get="404: other admins; 200: *", post=405),
    "case_materials": E("case:verifying", get="404: other admins; 200: *", post=405),
    "case_visits": E("case:verifying", get="404: other admins; 200: *", post=405),
    "case_objections": E("case:awaiting_appraisal", get="404: other admins; 200: *",
        post=405),
    "case_documents": E("case:approved", get="404: other admins; 200: *", post=405),
    "case_trail": E("case:approved", get="404: other admins; 200: *", post=405),
    "case_action": E("case:received", get=405, post="404: other admins; 302: *", changes="clerk",
        kwargs={"action": "accept"}),
    "case_evidence": E("case:verifying", get=405, post="404: other admins; 400: *",
        kwargs={"kind": "verification"}),
    "deadline_list": E(None, get="200: *", post=405),
    "deadline_district": E(None, get="200: district; 403: *", post=405),
    "case_review": E("case:approved",
        get="404: other admins; 200: *",
        post="404: other admins; 400: *"),
    "inbox": E(None, get="200: *", post=405),
    "inbox_read_all": E(None, get=405, post="302: *", changes="clerk leader"),
    "inbox_settings": E(None,
        get=405,
        post="302: *", changes="*"),
    "inbox_read": E("notification", get=405, post="302: clerk; 404: *", changes="clerk"),
    "verification_home": E(None,
        get="200: verifier verifier:other; 403: *",
        post="200: verifier verifier:other; 403: *"),
    "verification_import": E(None,
        get="200: verifier verifier:other; 403: *",
        post="200: verifier verifier:other; 403: *"),
    "verification_access_log": E(None,
        get="200: district auditor; 403: *",
        post="200: district auditor; 403: *"),
    "verification_cancel": E("verification_request", get=405, post="404: other admins; 302: *"),
    "verification_report_print": E("verification_report",
        get="200: verifier; 404: other admins; 403: *",
        post="200: verifier; 404: other admins; 403: *"),
    "verification_report_export": E("verification_report",
        get="200: verifier; 404: other admins; 403: *",
        post="200: verifier; 404: other admins; 403: *"),
    "verification_case": E("case:verifying",
        get="200: verifier; 404: other admins; 403: *",
        post="200: verifier; 404: other admins; 403: *"),
    "verification_query": E("case:verifying",
        get=405,
        post="400: verifier; 404: other admins; 403: *"),
    "verification_compile": E("case:verifying", get=405, post="404: other admins; 302: *"),
    "verification_request_sheet": E("case:verifying",
        get="200: verifier; 404: other admins; 403: *",
        post="200: verifier; 404: other admins; 403: *"),
    "authorization_scans": E("case:verifying",
        get="404: other admins; 200: *",
        post="404: other admins; 403: *"),
    "assessment": E("case:investigating",
        get="404: other admins; 200: *",
        post="200: clerk verifier leader; 403: assistant district; 404: *"),
    "home_visit_new": E("case:verifying",
        get="200: clerk verifier assistant; 403: leader district; 404: *",
        post="200: clerk verifier assistant; 403: leader district; 404: *"),
    "home_visit_done": E("case:verifying",
        get="404: other admins; 200: *",
        post="404: other admins; 200: *"),
    "home_visit_photo": E("photo",
        get="404: other admins; 200: *",
        post="404: other admins; 200: *"),
    "relatives": E(None, get="200: *", post="200: *"),
    "relative_cases": E(None,
        get="200: district auditor; 403: *",
        post="200: district auditor; 403: *"),
    "leader_queue": E(None,
        get="200: leader leader:other; 403: *",
        post="302: leader leader:other; 403: *"),
    "public_case_status": E(None, get="200: *", post="200: *", public=True),
    "roster_export": E(None, get="200: *", post="400: *"),
    "export_job": E("export_job", get="200: clerk; 404: *", post=405),
    "export_job_progress": E("export_job", get="200: clerk; 404: *", post=405),
    "export_job_download": E("export_job", get="200: clerk; 404: *", post=405),
    "assistant_home": E(None, get="200: assistant assistant:other; 403: *", post=405),
    # The phone's service worker: a static script served at the site root for its scope.
    "service_worker": E(None, get="200: *", post=405),
    # Township workspaces, the acceptance flow, the district's oversight (S1).
    "bureau_dashboard": E(None, get="200: bureau superuser; 403: *", post=405),
    "bureau_dashboard_excel": E(None, get="200: bureau superuser; 403: *", post=405),
    "bureau_dashboard_refresh": E(None,
        get=405,
        post="302: bureau superuser; 403: *", changes="bureau superuser"),
    "spot_check_list": E(None, get="200: *", post=405),
    "spot_check_new": E(None, get="200: bureau; 403: *", post="200: bureau; 403: *"),
    "spot_check_detail": E("spot_check",
        get="200: clerk verifier leader district; 404: *",
        post=405),
    "spot_check_close": E("spot_check",
        get=405,
        post="302: clerk verifier leader district; 404: *"),
    "spot_check_finding": E("spot_check_item",
        get=405,
        post="302: clerk verifier leader district; 404: *"),
    "spot_check_answer": E("spot_check_item",
        get=405,
        post="302: clerk verifier leader district; 404: *"),
    "clerk_home": E(None, get="200: clerk clerk:other; 403: *", post=405),
    "accept_start": E(None,
        get="200: clerk clerk:other; 403: *",
        post="400: clerk clerk:other; 403: *"),
    "accept_lookup": E(None, get="200: clerk clerk:other; 403: *", post=405),
    "accept_case": E(None,
        get="302: clerk clerk:other; 403: *",
        post="302: clerk clerk:other; 403: *"),
    "accept_bundle": E(None,
        get="302: clerk clerk:other; 403: *",
        post=405),
    "accept_sign": E(None,
        get="302: clerk clerk:other; 403: *",
        post="302: clerk clerk:other; 403: *"),
    "emergency_report": E(None,
        get="302: clerk clerk:other; 403: *",
        post="302: clerk clerk:other; 403: *"),
    "accept_done": E("case:investigating", get="404: other admins; 200: *", post=405),
    "start": E(None, get="302: *", post="302: *"),
    "api:openapi-json": E(None, get="200: *", post="200: *"),
    "api:household_list": E(None, get="200: *", post=405),
    "api:household_detail": E("household", get="404: other admins; 200: *", post=405),
    "api:case_list": E(None, get="200: *", post=405),
    "api:case_detail": E("case:received", get="404: other admins; 200: *", post=405),
    "api:case_actions": E("case:received", get="404: other admins; 200: *", post=405),
    "api:case_accept": E("case:received",
        get=405,
        post="200: clerk; 404: other admins; 403: *", changes="clerk"),
    "api:case_open_recheck": E("case:investigating",
        get=405,
        post="200: clerk verifier; 403: leader assistant district; 404: *",
        changes="clerk verifier"),
    "api:case_complete_recheck": E("case:recheck",
        get=405,
        post="200: verifier; 404: other admins; 403: *", changes="verifier"),
    # The period of the case in publicity is over: an objection now is refused (400).
    "api:case_home_visit": E("case:investigating",
        get=405,
        post="201: clerk verifier assistant; 403: leader bureau sysadmin superuser; 404: *",
        changes="assistant clerk verifier"),
    "api:case_objection": E("case:in_publicity",
        get=405,
        post="400: clerk leader assistant; 403: verifier district; 404: *"),
    "api:case_propose_approval": E("case:investigating",
        get=405,
        post="200: clerk leader; 403: verifier assistant district; 404: *", changes="clerk leader"),
    "api:case_end_publicity": E("case:in_publicity",
        get=405,
        post="200: clerk leader; 403: verifier assistant district; 404: *", changes="clerk leader"),
    "api:case_end_publicity_with_objection": E("case:in_publicity",
        get=405,
        post="200: clerk leader; 403: verifier assistant district; 404: *", changes="clerk leader"),
    "api:case_record_appraisal": E("case:awaiting_appraisal",
        get=405,
        post="200: clerk leader; 403: verifier assistant district; 404: *", changes="clerk leader"),
    "api:case_sign_off": E("case:awaiting_sign_off",
        get=405,
        post="200: leader; 404: other admins; 403: *", changes="leader"),
    "api:case_reject": E("case:awaiting_sign_off",
        get=405,
        post="200: leader; 404: other admins; 403: *", changes="leader"),
    "api:case_reject_emergency": E("case:emergency_reported",
        get=405,
        post="200: leader; 404: other admins; 403: *", changes="leader"),
    "api:case_withdraw": E("case:received",
        get=405,
        post="200: clerk; 404: other admins; 403: *", changes="clerk"),
    "api:case_adjust": E("case:approved",
        get=405,
        post="200: leader; 404: other admins; 403: *", changes="leader"),
    "api:case_suspend": E("case:approved",
        get=405,
        post="200: leader; 404: other admins; 403: *", changes="leader"),
    "api:case_resume": E("case:suspended",
        get=405,
        post="200: leader; 404: other admins; 403: *", changes="leader"),
    "api:case_terminate": E("case:approved",
        get=405,
        post="200: leader; 404: other admins; 403: *", changes="leader"),
    "api:case_give_aid": E("case:emergency_reported",
        get=405,
        post="200: clerk leader; 403: verifier assistant district; 404: *", changes="clerk leader"),
    "api:case_register_emergency": E("case:aid_given",
        get=405,
        post="200: leader; 404: other admins; 403: *", changes="leader"),
    "api:deadline_list": E(None, get="200: *", post=405),
    "api:document_list": E(None, get="200: *", post=405),
    "api:document_detail": E("document", get="404: other admins; 200: *", post=405),
    "api:document_pdf": E("document", get="404: other admins; 200: *", post=405),
    "api:api-root": E(None, get="404: *", post="404: *"),
}


def admin_expectation(kind: str, perms: set[str], *, is_staff: bool, superuser: bool,
                      model: str | None) -> set[str]:
    """Outcomes allowed for one admin URL and one user.

    `kind` is changelist/add/change/history/delete/object (the admin's redirect to the change
    page) for a model, else index/app_list/autocomplete/... `perms` are the user's model
    permissions as "app_label.codename". A user whose role does not hold the permission is
    refused; one who holds it may still be refused by a stricter admin (read-only records).
    """
    if not is_staff and not superuser:
        return {"admin-login"}
    if model is None:
        return {"200", "302", "403", "404"}
    app_label, model_name = model.split(".")
    held = {p.split(".", 1)[1] for p in perms if p.startswith(app_label + ".")}
    can = {verb for verb in ("view", "add", "change", "delete")
           if superuser or f"{verb}_{model_name}" in held}
    needed = {"changelist": {"view", "change"}, "change": {"view", "change"},
              "history": {"view", "change"}, "object": {"view", "change"},
              "add": {"add"}, "delete": {"delete"}, "custom": {"add", "change"}}[kind]
    if can & needed:
        return {"200", "302", "403"}
    return {"403", "302"} if kind == "object" else {"403"}
