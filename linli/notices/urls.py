from django.urls import path

from linli.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("staff/", views.staff_list, name="staff_list"),
    path("new/", views.publish, name="publish"),
    path("new/buildings/", views.buildings, name="buildings"),
    path("<int:notice_id>/", views.detail, name="detail"),
    path("<int:notice_id>/correct/", views.correct, name="correct"),
    path("<int:notice_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:notice_id>/remind/", views.remind, name="remind"),
    path("files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("board/", views.board_index, name="board_index"),
    path("board/<int:community_id>/", views.board, name="board"),
    path("board/<int:community_id>/<int:notice_id>/", views.board_detail, name="board_detail"),
]
