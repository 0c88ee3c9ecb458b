"""URLs of leads (filled in by its views)."""

urlpatterns: list = []
