"""The subscriber's payment pages, under /cabinet/pay/."""

from django.urls import path

from abonent.payments import views_cabinet

app_name = "pay"
urlpatterns = [
    path("", views_cabinet.pay_view, name="pay"),
    path("cards/", views_cabinet.cards_view, name="cards"),
    path("cards/attach/", views_cabinet.card_attach_view, name="card_attach"),
    path("cards/<int:card_id>/remove/", views_cabinet.card_remove_view, name="card_remove"),
    path("cards/<int:card_id>/default/", views_cabinet.card_default_view, name="card_default"),
    path("autopay/", views_cabinet.autopay_view, name="autopay"),
    path("history/", views_cabinet.history_view, name="history"),
]
