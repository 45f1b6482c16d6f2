"""Resident home links: the resident's own pages, the staff residents list and detail, letters."""

from django.urls import path

from linli.accounts.views import residents

app_name = "residents"
urlpatterns = [
    # resident side
    path("link/", residents.link_dwelling, name="link_dwelling"),
    path("link/areas/", residents.area_step, name="area_step"),
    path("link/<int:link_id>/withdraw/", residents.withdraw_link, name="withdraw_link"),
    # staff side
    path("", residents.resident_list, name="list"),
    path("<int:link_id>/", residents.resident_detail, name="detail"),
    path("<int:link_id>/approve/", residents.approve_link, name="approve"),
    path("<int:link_id>/reject/", residents.reject_link, name="reject"),
    path("<int:link_id>/revoke/", residents.revoke_link, name="revoke"),
    path("<int:link_id>/reveal/<str:field>/", residents.reveal_field, name="reveal"),
    path("<int:link_id>/evidence/<int:evidence_id>/", residents.evidence_file, name="evidence"),
    path("letters/", residents.issue_letters, name="letters"),
    path("letters/areas/", residents.letter_area_step, name="letter_area_step"),
]
