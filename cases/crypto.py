"""Encryption at rest of sensitive personal data, and the keyed hash used to look ID numbers up.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) through a
`MultiFernet` built from `settings.FIELD_ENCRYPTION_KEYS`: the first key encrypts, every key
decrypts, so a new key is put first, `python manage.py rotate_field_keys` re-encrypts every
value with it, and only then is the old key removed (docs/security.md, "Encryption at rest").

An encrypted column cannot be searched: each encryption of the same number gives a different
token. ID numbers therefore also get a keyed hash column (HMAC-SHA256 with `settings.ID_HASH_KEY`
over the normalized number), unique and indexed, and an `exact` or `in` look-up on an encrypted
field that has one (`Person.objects.filter(id_number=…)`, `…filter(applicant__id_number__in=…)`)
is compiled into a look-up of the hash column — so the callers keep their plain queries. Every
other look-up on an encrypted field (contains, ordering by meaning, …) is refused with an error
rather than silently finding nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import struct
import time
from collections.abc import Iterable
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django import forms
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import lookups
from django.db.models.expressions import Col
from django.dispatch import receiver
from django.utils.functional import cached_property

from cases import idnumber

_TAIL = re.compile(r"[0-9]{5}[0-9X]")
TOKEN_PREFIX = "gAAAAA"  # noqa: S105 - every Fernet token (version byte 0x80, then a 64-bit timestamp)


# --- Keys ---------------------------------------------------------------------------------

def _fernet_key(raw: str) -> Fernet:
    try:
        return Fernet(raw.strip().encode())
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes "
            "(python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')") from exc


@lru_cache(maxsize=1)
def keyring() -> MultiFernet:
    """The configured keys, newest first: the first encrypts, all decrypt."""
    keys = [k for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    return MultiFernet([_fernet_key(k) for k in keys])


@lru_cache(maxsize=1)
def _primary() -> Fernet:
    return _fernet_key([k for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()][0])


@lru_cache(maxsize=1)
def _hash_key() -> bytes:
    key = settings.ID_HASH_KEY
    if len(key) < 32:
        raise ImproperlyConfigured("ID_HASH_KEY must be at least 32 characters.")
    return key.encode()


@receiver(setting_changed)
def _reset_keys(*, setting: str, **kwargs) -> None:
    if setting in ("FIELD_ENCRYPTION_KEYS", "ID_HASH_KEY"):
        keyring.cache_clear()
        _primary.cache_clear()
        _hash_key.cache_clear()
        _tail_key.cache_clear()


def generate_key() -> str:
    """A new random key in the format of FIELD_ENCRYPTION_KEYS."""
    return Fernet.generate_key().decode()


# --- Values ---------------------------------------------------------------------------------

def encrypt(value: str) -> str:
    """Encrypt a text with the newest key; the token is ASCII."""
    return _primary().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a token made with any configured key."""
    try:
        return keyring().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted value cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS "
            "(a key was removed before `rotate_field_keys` finished, or the value is not "
            "encrypted).") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token with the newest key (MultiFernet.rotate)."""
    return keyring().rotate(token.encode()).decode()


def encrypted_with_primary(token: str) -> bool:
    """Whether the newest key decrypts this token (so rotation can skip it)."""
    try:
        _primary().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


class BulkEncryptor:
    """Fernet tokens for many values in a row (`seed_scale`), about twice as fast as `encrypt`.

    The same token format and newest key as `encrypt` — `decrypt` reads them — built with one
    AES key object and one timestamp for the whole run instead of per value.
    """

    def __init__(self):
        key = [k for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()][0]
        raw = base64.urlsafe_b64decode(key.strip().encode())
        self._sign, self._aes = raw[:16], algorithms.AES(raw[16:])
        self._head = b"\x80" + struct.pack(">Q", int(time.time()))

    def __call__(self, value: str) -> str:
        data = value.encode()
        iv = os.urandom(16)
        pad = 16 - len(data) % 16
        encryptor = Cipher(self._aes, modes.CBC(iv)).encryptor()
        body = self._head + iv + encryptor.update(data + bytes([pad]) * pad) + \
            encryptor.finalize()
        mac = hmac.new(self._sign, body, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(body + mac).decode()


def id_hash(number: str, *, normalized: bool = False) -> str:
    """The keyed hash (HMAC-SHA256, hex) of an ID number, after normalization.

    `normalized=True` skips the normalization for numbers known to be in canonical form
    (the generated numbers of `seed_scale`), which halves the cost.
    """
    text = number if normalized else idnumber.normalize(number)
    return hmac.new(_hash_key(), text.encode(), hashlib.sha256).hexdigest()


ID_TAIL_LENGTH = 6
# The label of the tail hash's own key, derived from ID_HASH_KEY (HMAC as a KDF): the tail
# and the full-number hashes are made with different keys, so no value of one column can be
# compared with the other's.
_TAIL_PURPOSE = b"lanshan-aid|id-tail-hash|v1"


@lru_cache(maxsize=1)
def _tail_key() -> bytes:
    return hmac.new(_hash_key(), _TAIL_PURPOSE, hashlib.sha256).digest()


def id_tail(value: str) -> str | None:
    """The ID-number tail typed in a search box (six characters, the last may be X), in
    canonical form; None for anything else (five or seven digits, letters, …)."""
    text = idnumber.normalize(value)
    return text if _TAIL.fullmatch(text) else None


def id_tail_hash(number: str, *, normalized: bool = False) -> str:
    """The keyed hash (HMAC-SHA256, hex, with the tail key) of the last six characters of an
    ID number, or of a tail alone (`id_tail`). Only 10^6 values exist: a look-up aid that
    narrows a search to a handful of people, never an identifier (docs/security.md)."""
    text = number if normalized else idnumber.normalize(number)
    return hmac.new(_tail_key(), text[-ID_TAIL_LENGTH:].encode(), hashlib.sha256).hexdigest()


def hash_key_fingerprint() -> str:
    """A short, non-secret fingerprint of ID_HASH_KEY, to tell which key made the hashes."""
    return base64.b32encode(hashlib.sha256(b"fp|" + _hash_key()).digest()[:5]).decode()


# --- Look-ups -----------------------------------------------------------------------------

def _hash_col(lhs):
    """The hash column standing for an encrypted column in a look-up."""
    field = getattr(lhs, "target", None)
    if not isinstance(lhs, Col) or not getattr(field, "hash_field", None):
        raise FieldError(f"{field} is encrypted: only exact and in look-ups of a plain column.")
    target = field.model._meta.get_field(field.hash_field)
    return Col(lhs.alias, target, output_field=target)


class HashedExact(lookups.Exact):
    """`id_number=x` compiled as `id_number_hash = hmac(x)`."""

    def __init__(self, lhs, rhs):
        if hasattr(rhs, "resolve_expression"):
            raise FieldError("An encrypted field can only be compared with a value.")
        super().__init__(_hash_col(lhs), None if rhs is None else id_hash(rhs))


class HashedIn(lookups.In):
    """`id_number__in=[…]` compiled as `id_number_hash IN (hmac(…), …)`."""

    def __init__(self, lhs, rhs):
        if hasattr(rhs, "resolve_expression") or not isinstance(rhs, Iterable):
            raise FieldError("An encrypted field can only be compared with a list of values.")
        super().__init__(_hash_col(lhs), [id_hash(v) for v in rhs if v is not None])


# --- Fields -------------------------------------------------------------------------------

class EncryptedMixin:
    """Stores `encrypt(str(value))` in a text column and gives back the Python value.

    Every value but None is encrypted, the empty string and defaults too, so that a column
    shows neither which rows are empty nor which hold the common value.
    """

    allowed_lookups = ("isnull",)

    def __init__(self, *args, hash_field: str | None = None, **kwargs):
        self.hash_field = hash_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.hash_field:
            kwargs["hash_field"] = self.hash_field
        return name, path, args, kwargs

    def db_type(self, connection) -> str:
        return models.TextField().db_type(connection)

    def cast_db_type(self, connection) -> str:
        return self.db_type(connection)

    def rel_db_type(self, connection) -> str:
        return self.db_type(connection)

    def get_lookup(self, lookup_name):
        if self.hash_field and lookup_name in ("exact", "iexact"):  # iexact: the admin's "="
            return HashedExact  # the hashed number is normalized (upper-case X) either way
        if self.hash_field and lookup_name == "in":
            return HashedIn
        if lookup_name in self.allowed_lookups:
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.model.__name__}.{self.name} is encrypted at rest: the look-up "
            f"'{lookup_name}' cannot be done by the database (cases/crypto.py).")

    def get_transform(self, lookup_name):
        return None

    # Python value <-> text
    def to_text(self, value) -> str:
        return str(value)

    def from_text(self, text: str):
        return self.to_python(text)

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        return encrypt(self.to_text(value))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return self.from_text(decrypt(value))


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A CharField whose column holds a Fernet token (max_length applies to the clear text)."""


class EncryptedSmallIntegerField(EncryptedMixin, models.PositiveSmallIntegerField):
    """A small integer (e.g. a disability grade) stored encrypted."""

    def db_check(self, connection):
        return None  # the column is text; the range is checked by the validators

    def get_internal_type(self) -> str:
        # Text to the schema editor, which then drops the integer column's ">= 0" check.
        return "TextField"

    @cached_property
    def validators(self):
        return [MinValueValidator(0), MaxValueValidator(32767), *self._validators]


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """JSON-serialisable data (dicts, lists) stored as one encrypted document."""

    def __init__(self, *args, encoder=DjangoJSONEncoder, **kwargs):
        self.encoder = encoder
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("encoder", None)
        return name, path, args, kwargs

    def to_text(self, value) -> str:
        return json.dumps(value, cls=self.encoder, ensure_ascii=False, sort_keys=True)

    def from_text(self, text: str):
        return json.loads(text)

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
        return value

    def get_prep_value(self, value):
        return value

    def value_to_string(self, obj) -> str:
        return self.to_text(self.value_from_object(obj))

    def formfield(self, **kwargs):
        return forms.JSONField(**{"encoder": self.encoder, **kwargs})


class KeyedHashField(models.CharField):
    """The HMAC-SHA256 of another field's ID number, set on every save (also bulk_create)."""

    @staticmethod
    def hash_of(number: str) -> str:
        """The stored hash of a (clear) ID number."""
        return id_hash(number)

    def __init__(self, *args, source: str = "", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if kwargs.get("max_length") == 64:
            del kwargs["max_length"]
        if kwargs.get("editable") is False:
            del kwargs["editable"]
        return name, path, args, kwargs

    def db_type(self, connection) -> str:
        # Fixed width, and on PostgreSQL no second "_like" index: only equality is ever asked.
        return "char(64)"

    def pre_save(self, model_instance, add):
        number = getattr(model_instance, self.source)
        value = self.hash_of(number) if number else None
        setattr(model_instance, self.attname, value)
        return value


class KeyedTailHashField(KeyedHashField):
    """The keyed hash of the last six characters of another field's ID number (`id_tail_hash`):
    never unique, indexed for the tail search; set on every save like the full hash."""

    @staticmethod
    def hash_of(number: str) -> str:
        return id_tail_hash(number)


# --- Migrations and rotation ----------------------------------------------------------------

ROTATION_SETTING = "lanshan.field_key_rotation"  # lets the documents trigger accept a rewrite


def allow_token_rewrite(connection) -> None:
    """Within the current transaction, let PostgreSQL's immutability trigger of issued
    documents accept an UPDATE that changes only their encrypted columns."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [ROTATION_SETTING])


def rewrite_columns(connection, table: str, columns: list[str], convert, *,
                    hashes: tuple[tuple[str, str], ...] = (), batch: int = 2000,
                    after_id=None, pk: str = "id") -> tuple[int, object]:
    """Rewrite `columns` of `table` in place, a batch of rows at a time, in raw SQL.

    `convert(value) -> new value` is applied to every non-NULL value (`None` from it keeps the
    value); `hashes` are (hash column, source column) pairs set to `id_hash` of the source's
    value *before* conversion. Used by the migrations (clear → encrypted and back) and by
    `rotate_field_keys`. Returns (rows changed, last id) so a caller can resume after it.

    Args:
        after_id: start after this primary key (resume); None for the beginning.
    """
    qn = connection.ops.quote_name
    selected = ", ".join(qn(c) for c in [pk, *columns])
    targets = [*columns, *(h for h, _ in hashes)]
    assignment = ", ".join(f"{qn(c)} = %s" for c in targets)
    changed = 0
    with connection.cursor() as cursor:
        where = f"WHERE {qn(pk)} > %s " if after_id is not None else ""
        cursor.execute(f"SELECT {selected} FROM {qn(table)} {where}"  # noqa: S608
                       f"ORDER BY {qn(pk)} LIMIT %s",
                       [*([after_id] if after_id is not None else []), batch])
        rows = cursor.fetchall()
        updates = []
        for row in rows:
            values = dict(zip(columns, row[1:], strict=True))
            new = {}
            for column, value in values.items():
                if value is not None:
                    converted = convert(str(value))
                    if converted is not None and converted != value:
                        new[column] = converted
            hashed = {h: id_hash(str(values[src])) if values[src] else None for h, src in hashes}
            if new or hashes:
                updates.append([*(new.get(c, values[c]) for c in columns),
                                *(hashed[h] for h, _ in hashes), row[0]])
        if updates:
            cursor.executemany(f"UPDATE {qn(table)} SET {assignment} "  # noqa: S608
                               f"WHERE {qn(pk)} = %s", updates)
            changed = len(updates)
    return changed, (rows[-1][0] if rows else None)


def rewrite_all(connection, table: str, columns: list[str], convert, **kwargs) -> int:
    """`rewrite_columns` over the whole table (migrations: one transaction already)."""
    total, last = 0, None
    while True:
        changed, last_id = rewrite_columns(connection, table, columns, convert,
                                           after_id=last, **kwargs)
        if last_id is None:
            return total
        total, last = total + changed, last_id


def encrypt_if_clear(value: str) -> str:
    """For migrations: encrypt a clear value (a value that is already a token is kept)."""
    if value.startswith(TOKEN_PREFIX):
        try:
            keyring().decrypt(value.encode())
            return value
        except InvalidToken:
            pass
    return encrypt(value)


def encrypted_fields() -> list[tuple[type[models.Model], list[EncryptedMixin]]]:
    """Every concrete model with encrypted fields, and those fields."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]
        if fields and not model._meta.proxy:
            found.append((model, fields))
    return found


def hashed_fields() -> list[tuple[type[models.Model], KeyedHashField]]:
    """Every keyed-hash field (ID numbers), with its model."""
    from django.apps import apps

    return [(model, f) for model in apps.get_models() for f in model._meta.concrete_fields
            if isinstance(f, KeyedHashField)]
