"""Cabinet URLs of network access (under /cabinet/connection/)."""

urlpatterns: list = []
