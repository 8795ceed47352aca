from django.urls import path, re_path

from kapcare.fhir import tokens, views

app_name = "fhir"
TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,63})"
ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"

urlpatterns = [
    path("staff/fhir/tokens/", tokens.token_list, name="tokens"),
    path("staff/fhir/tokens/<int:pk>/revoke", tokens.revoke, name="token_revoke"),
    path("fhir/R4/metadata", views.metadata, name="metadata"),
    path("fhir/R4/openapi.json", views.openapi_description, name="openapi"),
    # POST [base]: clients write the base without its trailing slash; a redirect would lose the body.
    re_path(r"^fhir/R4/?$", views.base, name="base"),
    path("fhir/R4/$import-bundle", views.import_bundle, name="import_bundle"),
    path("fhir/R4/$export", views.export_system, name="export"),
    path("fhir/R4/Patient/$export", views.export_patients, name="export_patients"),
    re_path(r"^fhir/R4/Group/(?P<group_id>[0-9]{1,18})/\$export$", views.export_group, name="export_group"),
    path("fhir/R4/$export-status/<uuid:job_id>", views.export_status, name="export_status"),
    re_path(
        r"^fhir/R4/\$export-file/(?P<job_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/(?P<name>[A-Z][A-Za-z]+\.ndjson)$",
        views.export_file,
        name="export_file",
    ),
    re_path(rf"^fhir/R4/{TYPE}$", views.type_level, name="type"),
    re_path(rf"^fhir/R4/{TYPE}/_search$", views.search_post, name="search"),
    re_path(rf"^fhir/R4/{TYPE}/_history$", views.type_history, name="type_history"),
    re_path(rf"^fhir/R4/{TYPE}/{ID}$", views.instance, name="instance"),
    re_path(rf"^fhir/R4/{TYPE}/{ID}/_history$", views.instance_history, name="instance_history"),
    re_path(
        rf"^fhir/R4/{TYPE}/{ID}/_history/(?P<version_id>[A-Za-z0-9\-\.]{{1,64}})$", views.vread, name="vread"
    ),
    re_path(r"^fhir/R4/(?P<rest>.*)$", views.unknown, name="unknown"),
]
