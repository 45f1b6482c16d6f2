from django.urls import path

from linli.notify import views

app_name = "notify_demo"
urlpatterns = [path("", views.sms_outbox, name="sms_outbox")]
