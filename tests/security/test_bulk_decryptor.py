"""`crypto.BulkDecryptor` (the roster's decryption) reads exactly what `crypto.decrypt` reads:
the same clear texts from tokens of every configured key, and the same refusal of anything
no key authenticates."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from cases import crypto

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
# Every padding length (clear texts of 0 to 40 bytes: one to three blocks), and UTF-8.
TEXTS = ["", *("6" * n for n in range(1, 41)), "37130219400101001X", "王秀英",
         "临沂农商银行·兰山支行"]


def no_fallback(monkeypatch):
    """Valid tokens must be read by the fast path itself, not by its fall-back to `decrypt`."""
    def refuse(token):
        raise AssertionError("fell back to crypto.decrypt")

    monkeypatch.setattr(crypto, "decrypt", refuse)


def test_it_reads_every_length_as_fernet_does(monkeypatch):
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        read = crypto.BulkDecryptor()
        tokens = [crypto.encrypt(text) for text in TEXTS]
        sealed = [crypto.BulkEncryptor()(text) for text in TEXTS]
        assert [crypto.decrypt(t) for t in tokens + sealed] == TEXTS + TEXTS
        no_fallback(monkeypatch)
        assert [read(token) for token in tokens + sealed] == TEXTS + TEXTS


def test_it_reads_tokens_of_an_older_key_during_a_rotation(monkeypatch):
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        old = crypto.encrypt("6228480123456789012")
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        new = crypto.encrypt("371302194001010018")
        read = crypto.BulkDecryptor()
        with monkeypatch.context() as patch:
            no_fallback(patch)
            assert (read(old), read(new)) == ("6228480123456789012", "371302194001010018")
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]), pytest.raises(ImproperlyConfigured):
        crypto.BulkDecryptor()(old)  # the old key is gone: refused, as `decrypt` refuses it


def flip(token: str, index: int) -> str:
    data = bytearray(base64.urlsafe_b64decode(token))
    data[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(data)).decode()


@pytest.mark.parametrize("damage", [
    lambda t: flip(t, 30),        # a cipher block
    lambda t: flip(t, 12),        # the IV
    lambda t: flip(t, 3),         # the timestamp
    lambda t: flip(t, -1),        # the HMAC
    lambda t: flip(t, 0),         # the version byte
    lambda t: t[:-4],             # cut short
    lambda t: "6228480123456789012",  # a clear value, not a token
    lambda t: "!" * len(t),       # not base64
], ids=["block", "iv", "timestamp", "hmac", "version", "short", "clear", "base64"])
def test_a_damaged_or_foreign_token_is_refused_like_decrypt_refuses_it(damage):
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        token = crypto.encrypt("371302194001010018")
        read = crypto.BulkDecryptor()
        assert read(token) == "371302194001010018"  # control
        bad = damage(token)
        with pytest.raises(ImproperlyConfigured):
            crypto.decrypt(bad)
        with pytest.raises(ImproperlyConfigured):
            read(bad)
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]), pytest.raises(ImproperlyConfigured):
        crypto.BulkDecryptor()(token)  # a token of another key


def test_what_fernet_forgives_in_the_base64_it_forgives_too():
    """Fernet's base64 decoding skips characters outside the alphabet; the roster must not
    refuse a value the rest of the system reads."""
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        token = crypto.encrypt("371302194001010018")
        read = crypto.BulkDecryptor()
        for lenient in (token + "==", "王" + token, token.replace("A", "A\n", 1)):
            assert read(lenient) == crypto.decrypt(lenient) == "371302194001010018"


def test_without_keys_it_refuses_to_start():
    with override_settings(FIELD_ENCRYPTION_KEYS=[" "]), pytest.raises(ImproperlyConfigured):
        crypto.BulkDecryptor()
