from django.urls import path

from linli.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("home/", views.resident_home, name="resident_home"),
    path("workbench/", views.workbench, name="workbench"),
]
