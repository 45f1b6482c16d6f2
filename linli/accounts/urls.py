from django.urls import path

from linli.accounts.views import account, login, staff

app_name = "accounts"
urlpatterns = [
    path("login/", login.resident_login, name="login"),
    path("login/restart/", login.resident_login_restart, name="login_restart"),
    path("staff-login/", login.staff_login, name="staff_login"),
    path("second-factor/", login.second_factor, name="second_factor"),
    path("enrol/", login.enrolment_link, name="enrolment_link"),
    path("enrol/<str:token>/", login.enrolment_link, name="enrolment_link"),
    path("logout/", login.logout_view, name="logout"),
    path("reauthenticate/", login.reauthenticate, name="reauthenticate"),
    path("password/", login.change_password, name="change_password"),
    path("", account.account, name="account"),
    path("preferences/", account.preferences, name="preferences"),
    path("email/", account.change_email, name="change_email"),
    path("email/confirm/<str:token>/", account.confirm_email, name="confirm_email"),
    path("sessions/<uuid:session_id>/end/", account.end_session, name="end_session"),
    path("sessions/end-all/", account.logout_everywhere, name="logout_everywhere"),
    # staff administration (system and security administrators)
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/new/", staff.staff_create, name="staff_create"),
    path("staff/areas/", staff.area_options, name="staff_area_options"),
    path("staff/<int:user_id>/", staff.staff_detail, name="staff_detail"),
    path("staff/<int:user_id>/disable/", staff.staff_disable, name="staff_disable"),
    path("staff/<int:user_id>/enable/", staff.staff_enable, name="staff_enable"),
    path("staff/<int:user_id>/password/", staff.staff_reset_password, name="staff_reset_password"),
    path("staff/<int:user_id>/second-factor/reset/", staff.staff_reset_second_factor, name="staff_reset_second_factor"),
    path("staff/<int:user_id>/enrolment-link/", staff.staff_issue_enrolment_link, name="staff_issue_enrolment_link"),
    path("staff/<int:user_id>/roles/new/", staff.staff_assign_role, name="staff_assign_role"),
    path("staff/<int:user_id>/roles/<int:assignment_id>/revoke/", staff.staff_revoke_role, name="staff_revoke_role"),
]
