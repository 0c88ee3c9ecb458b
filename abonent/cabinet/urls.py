"""URLs of the subscriber's cabinet."""

from django.urls import path

from abonent.cabinet import views, views_billing

app_name = "cabinet"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("forgot/", views.forgot_view, name="forgot"),
    path("password/", views.password_view, name="password"),
    path("tariff/", views_billing.tariff_view, name="tariff"),
    path("tariff/change/", views_billing.tariff_change_view, name="tariff_change"),
    path(
        "tariff/change/cancel/",
        views_billing.tariff_change_cancel_view,
        name="tariff_change_cancel",
    ),
    path("addons/", views_billing.addons_view, name="addons"),
    path("addons/connect/", views_billing.addon_connect_view, name="addon_connect"),
    path(
        "addons/<int:subscription_id>/disconnect/",
        views_billing.addon_disconnect_view,
        name="addon_disconnect",
    ),
    path("pause/", views_billing.pause_view, name="pause"),
    path("pause/resume/", views_billing.pause_resume_view, name="pause_resume"),
    path("promised/", views_billing.promised_view, name="promised"),
    path("history/", views_billing.history_view, name="history"),
    path("history.csv", views_billing.history_csv_view, name="history_csv"),
]
