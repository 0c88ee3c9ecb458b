"""URLs of payments."""

urlpatterns: list = []
