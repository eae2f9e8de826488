from django.urls import path

from learners import views

app_name = "me"
urlpatterns = [
    path("learning/", views.my_learning, name="learning"),
    path("profile/", views.profile, name="profile"),
]
