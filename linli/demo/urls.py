from django.urls import path

from linli.demo import views

app_name = "demo"
urlpatterns = [
    path("authenticator/", views.authenticator, name="authenticator"),
    path("authenticator/codes/", views.authenticator_codes, name="authenticator_codes"),
]
