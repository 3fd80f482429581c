"""The login lockout backend."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes with a request.

    Logins over the network always carry one (the login forms pass it). Code that calls
    `authenticate()` without a request — Django's test client, management commands — is not a
    network login and has no address to lock out; axes would refuse it outright, so here it
    simply passes on to the next backend.
    """

    def authenticate(self, request=None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
