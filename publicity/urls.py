"""Publicity URLs (staff pages and the public village pages)."""

urlpatterns: list = []
