"""Fields a list page leaves unread: the encrypted ones it does not show.

Every encrypted field is decrypted as its row is read (one Fernet decryption each), and a list
of 25 cases with their applicants held 125 of them, of which the page shows none or one. A
list queryset defers the others with `QuerySet.defer(*encrypted_fields(...))`.
"""

from __future__ import annotations

from cases.crypto import EncryptedMixin


def encrypted_fields(model, prefix: str = "", keep: tuple[str, ...] = ()) -> list[str]:
    """Names of `model`'s encrypted fields but `keep`, each under `prefix` (a relation path
    such as "applicant__"), for `QuerySet.defer`."""
    return [prefix + f.name for f in model._meta.concrete_fields
            if isinstance(f, EncryptedMixin) and f.name not in keep]
