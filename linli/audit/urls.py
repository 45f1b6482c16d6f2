from django.urls import path

from linli.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="events"),
    path("export/", views.export_events, name="export"),
]
