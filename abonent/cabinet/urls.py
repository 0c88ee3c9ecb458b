"""URLs of the subscriber's cabinet."""

from django.urls import path

from abonent.cabinet import views

app_name = "cabinet"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("forgot/", views.forgot_view, name="forgot"),
    path("password/", views.password_view, name="password"),
]
