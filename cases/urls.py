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
