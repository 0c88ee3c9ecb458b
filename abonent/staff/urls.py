"""URLs of staff (filled in by its views)."""

app_name = "staff"
urlpatterns: list = []
