from django.urls import path

from linli.accounts.views import account, login

app_name = "accounts"
urlpatterns = [
    path("login/", login.resident_login, name="login"),
    path("login/restart/", login.resident_login_restart, name="login_restart"),
    path("staff-login/", login.staff_login, name="staff_login"),
    path("second-factor/", login.second_factor, name="second_factor"),
    path("logout/", login.logout_view, name="logout"),
    path("reauthenticate/", login.reauthenticate, name="reauthenticate"),
    path("password/", login.change_password, name="change_password"),
    path("", account.account, name="account"),
    path("preferences/", account.preferences, name="preferences"),
    path("sessions/<uuid:session_id>/end/", account.end_session, name="end_session"),
    path("sessions/end-all/", account.logout_everywhere, name="logout_everywhere"),
]
