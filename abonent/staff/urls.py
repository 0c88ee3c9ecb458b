"""The back office under /staff/."""

from django.urls import path

from abonent.staff import (
    views,
    views_accounts,
    views_catalogue,
    views_mail,
    views_money,
    views_payments,
)

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("leads/", views.lead_list, name="leads"),
    path("leads/<int:lead_id>/", views.lead_detail, name="lead"),
    path("leads/<int:lead_id>/status/", views.lead_transition_view, name="lead_transition"),
    path("leads/<int:lead_id>/note/", views.lead_note_view, name="lead_note"),
    path("accounts/", views_accounts.account_list, name="accounts"),
    path("accounts/new/", views_accounts.account_new, name="account_new"),
    path("accounts/<int:account_id>/", views_accounts.account_detail, name="account"),
    path(
        "accounts/<int:account_id>/password/",
        views_accounts.account_password,
        name="account_password",
    ),
    path(
        "accounts/<int:account_id>/correction/",
        views_money.account_correction,
        name="account_correction",
    ),
    path("accounts/<int:account_id>/ledger/", views_money.account_ledger, name="account_ledger"),
    path(
        "accounts/<int:account_id>/payments/<int:payment_id>/refund/",
        views_payments.payment_refund,
        name="payment_refund",
    ),
    path("payments/problems/", views_payments.payment_problems, name="payment_problems"),
    path("tariff-changes/", views_money.tariff_change_list, name="tariff_changes"),
    path(
        "tariff-changes/<int:change_id>/decide/",
        views_money.tariff_change_decide_view,
        name="tariff_change_decide",
    ),
    path("catalogue/tariffs/", views_catalogue.tariff_list, name="tariffs"),
    path("catalogue/tariffs/new/", views_catalogue.tariff_edit, name="tariff_new"),
    path("catalogue/tariffs/<int:tariff_id>/", views_catalogue.tariff_edit, name="tariff_edit"),
    path(
        "catalogue/tariffs/<int:tariff_id>/remove/",
        views_catalogue.tariff_remove_view,
        name="tariff_remove",
    ),
    path("catalogue/addons/", views_catalogue.addon_list, name="addons"),
    path("catalogue/addons/new/", views_catalogue.addon_edit, name="addon_new"),
    path("catalogue/addons/<int:addon_id>/", views_catalogue.addon_edit, name="addon_edit"),
    path(
        "catalogue/addons/<int:addon_id>/remove/",
        views_catalogue.addon_remove_view,
        name="addon_remove",
    ),
    path("catalogue/kinds/", views_catalogue.kind_list, name="kinds"),
    path("catalogue/kinds/new/", views_catalogue.kind_edit, name="kind_new"),
    path("catalogue/kinds/<int:kind_id>/", views_catalogue.kind_edit, name="kind_edit"),
    path("mail/", views_mail.mail_list, name="mail"),
    path("mail/new/", views_mail.mail_new, name="mail_new"),
    path("audit/", views.audit, name="audit"),
]
