"""URLs of sandbox_acquirer."""

urlpatterns: list = []
