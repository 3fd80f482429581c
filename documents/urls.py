"""Document URLs (downloads, public authenticity check)."""

urlpatterns: list = []
