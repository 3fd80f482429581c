from django.urls import path

from oversight import views

urlpatterns = [
    path("", views.bureau_dashboard, name="bureau_dashboard"),
    path("dashboard.xlsx", views.bureau_dashboard_excel, name="bureau_dashboard_excel"),
    path("refresh/", views.bureau_dashboard_refresh, name="bureau_dashboard_refresh"),
    path("spot-checks/", views.spot_check_list, name="spot_check_list"),
    path("spot-checks/new/", views.spot_check_new, name="spot_check_new"),
    path("spot-checks/<int:pk>/", views.spot_check_detail, name="spot_check_detail"),
    path("spot-checks/<int:pk>/close/", views.spot_check_close, name="spot_check_close"),
    path("spot-checks/items/<int:pk>/finding/", views.spot_check_finding,
         name="spot_check_finding"),
    path("spot-checks/items/<int:pk>/answer/", views.spot_check_answer,
         name="spot_check_answer"),
]
