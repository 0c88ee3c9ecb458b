"""Back-office URLs of support tickets (under /staff/support/)."""

app_name = "support_staff"
urlpatterns: list = []
