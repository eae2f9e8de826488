from django.urls import path

from subsidies import api

urlpatterns = [
    path("me/subsidy-claims/", api.MyClaimsView.as_view(), name="my-subsidy-claims"),
    path(
        "classes/<id:class_id>/subsidy-claims/", api.ClassBulkClaimView.as_view(), name="class-subsidy-claims"
    ),
    path("subsidy-claims/", api.ClaimListView.as_view(), name="subsidy-claims"),
    path("subsidy-claims/<id:claim_id>/", api.ClaimDetailView.as_view(), name="subsidy-claim"),
    path(
        "subsidy-claims/<id:claim_id>/district-decision/",
        api.DistrictDecisionView.as_view(),
        name="subsidy-claim-district-decision",
    ),
    path(
        "subsidy-claims/<id:claim_id>/bureau-decision/",
        api.BureauDecisionView.as_view(),
        name="subsidy-claim-bureau-decision",
    ),
    path("subsidy-claims/<id:claim_id>/payment/", api.PaymentView.as_view(), name="subsidy-claim-payment"),
]
