from django.urls import path

from cases.views import households

urlpatterns = [
    path("", households.home, name="home"),
    path("households/new/", households.household_create, name="household_create"),
    path("households/<int:pk>/", households.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", households.household_edit, name="household_edit"),
    path("id-check/", households.id_check, name="id_check"),
]
