from django.urls import path

from subsidies import views

app_name = "subsidies"
urlpatterns = [
    path("me/", views.mine, name="mine"),
    path("me/claim/", views.claim_create, name="claim-create"),
    path("classes/<id:class_id>/", views.class_claims, name="class"),
    path("claims/", views.claim_list, name="claims"),
    path("claims/<id:claim_id>/", views.claim_detail, name="claim"),
    path("claims/<id:claim_id>/district/", views.district_decide, name="district-decide"),
    path("claims/<id:claim_id>/bureau/", views.bureau_decide, name="bureau-decide"),
    path("claims/<id:claim_id>/pay/", views.pay, name="pay"),
    path("export.xlsx", views.export, name="export"),
    path("insurance/", views.insurance_import, name="insurance"),
]
