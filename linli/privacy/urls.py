from django.urls import path

from linli.privacy import views

app_name = "privacy"
urlpatterns = [path("my-reveals/", views.my_reveals, name="my_reveals")]
