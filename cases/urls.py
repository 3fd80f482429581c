from django.urls import path

from cases.views import cases, households

urlpatterns = [
    path("", households.home, name="home"),
    path("households/new/", households.household_create, name="household_create"),
    path("households/<int:pk>/", households.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", households.household_edit, name="household_edit"),
    path("households/<int:household_pk>/cases/new/", cases.case_create, name="case_create"),
    path("id-check/", households.id_check, name="id_check"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
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

# Workspaces.
from cases.views import workspaces  # noqa: E402

urlpatterns += [
    path("leader/queue/", workspaces.leader_queue, name="leader_queue"),
]
