from django.urls import path

from linli.areas import views

app_name = "areas"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:area_id>/", views.detail, name="detail"),
    path("<int:area_id>/children/", views.children, name="children"),
    path("<int:area_id>/edit/", views.edit, name="edit"),
    path("<int:area_id>/add/", views.add_child, name="add_child"),
    path("<int:area_id>/deactivate/", views.deactivate, name="deactivate"),
    path("<int:area_id>/reactivate/", views.reactivate, name="reactivate"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("import/template.<str:file_format>", views.import_template, name="import_template"),
]
