"""URLs of support."""

urlpatterns: list = []
