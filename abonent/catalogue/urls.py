"""URLs of catalogue (filled in by its views)."""

urlpatterns: list = []
