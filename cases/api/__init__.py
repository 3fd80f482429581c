"""The JSON API (django-ninja), mounted at /api/ with its OpenAPI schema at /api/openapi.json.

Same rules as the pages: a login session (the `LoginRequiredMiddleware` sends anonymous
requests to the login page, like every staff URL), the scoping of `cases.scoping` (another
township's household, case or document is a 404), and every change through the services of
`cases.services`.
"""
