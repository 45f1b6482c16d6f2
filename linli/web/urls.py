from django.urls import path

from linli.web import views, views_pwa

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("home/", views.resident_home, name="resident_home"),
    path("workbench/", views.workbench, name="workbench"),
    path("manifest.webmanifest", views_pwa.manifest, name="manifest"),
    path("service-worker.js", views_pwa.service_worker, name="service_worker"),
    path("offline/", views_pwa.offline, name="offline"),
]
