"""One client address for the lockout, the public forms' limits and the logs.

Behind the proxy of docker-compose.yml every request comes from the proxy's address; the proxy
appends the address it saw to X-Forwarded-For (`$proxy_add_x_forwarded_for`). The tests here
send requests as the proxy would: REMOTE_ADDR is the proxy, the last X-Forwarded-For entry is
the visitor, and anything before it is whatever the visitor wrote. Two visitors behind one
proxy must be told apart, and one of them must never shut the other out.
"""

from __future__ import annotations

import re

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import SecurityEvent
from cases.models import AccessLog, Objection
from lanshan_aid.client_address import client_ip
from publicity import captcha, ratelimit
from tests.factories import PASSWORD, HouseholdFactory
from tests.publicity.builders import publicize

pytestmark = pytest.mark.django_db

PROXY = "172.18.0.5"  # the nginx container, as gunicorn sees it
ALICE = "203.0.113.10"
BOB = "198.51.100.20"


def behind_proxy(visitor: str, *, sent: str = "") -> dict:
    """Request headers as nginx passes them: the visitor's own header (if any), then theirs."""
    forwarded = f"{sent}, {visitor}" if sent else visitor
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def still_clock():
    """The clock stopped: the limits count in fixed windows, which must not end mid-test."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def trusted(settings):
    settings.TRUST_X_FORWARDED_FOR = True
    return settings


def _request(**meta):
    return RequestFactory().get("/", **meta)


# --- The function ----------------------------------------------------------------------------


def test_without_trust_the_header_is_ignored_and_remote_addr_is_the_client(settings):
    settings.TRUST_X_FORWARDED_FOR = False
    assert client_ip(_request(**behind_proxy(ALICE))) == PROXY


def test_behind_the_trusted_proxy_the_entry_the_proxy_appended_is_the_client(trusted):
    """Guards: `client_ip` taking the last X-Forwarded-For entry (not the leftmost, which the
    visitor writes) when TRUST_X_FORWARDED_FOR."""
    assert client_ip(_request(**behind_proxy(ALICE))) == ALICE
    # A visitor who sends their own header cannot choose the address: nginx appends theirs.
    assert client_ip(_request(**behind_proxy(ALICE, sent="1.2.3.4"))) == ALICE
    assert client_ip(_request(**behind_proxy(ALICE, sent="1.2.3.4, 5.6.7.8"))) == ALICE
    assert client_ip(_request(**behind_proxy("2001:db8::1"))) == "2001:db8::1"


def test_without_the_header_or_with_garbage_in_it_remote_addr_is_used(trusted):
    assert client_ip(_request(REMOTE_ADDR=PROXY)) == PROXY
    assert client_ip(_request(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=" , ")) == PROXY
    assert client_ip(_request(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, <x>")) == PROXY
    assert client_ip(None) is None


def test_the_lockout_uses_the_same_function():
    assert import_string(django_settings.AXES_CLIENT_IP_CALLABLE) is client_ip


# --- The lockout (django-axes) -----------------------------------------------------------------


def _login(client, password, visitor):
    return client.post(reverse("login"), {"username": "clerk_a", "password": password},
                       **behind_proxy(visitor))


def test_one_visitor_s_failed_logins_do_not_lock_another_behind_the_same_proxy(trusted,
                                                                               clerk_a):
    """Guards: AXES_CLIENT_IP_CALLABLE = lanshan_aid.client_address.client_ip."""
    alice, bob = Client(), Client()
    codes = [_login(alice, "wrong-password-1", ALICE).status_code for _ in range(5)]
    assert codes[-1] == 429
    assert _login(alice, PASSWORD, ALICE).status_code == 429
    assert _login(bob, PASSWORD, BOB).status_code == 302
    failed = SecurityEvent.objects.filter(kind="login_failed")
    assert set(failed.values_list("ip", flat=True)) == {ALICE}


# --- The status look-up (/gongshi/chaxun/) -----------------------------------------------------


def _lookup(client, visitor):
    return client.post(reverse("public_case_status"), {"number": "LS-0", "id_tail": "000000"},
                       **behind_proxy(visitor))


def test_status_lookups_are_limited_per_visitor_not_per_proxy(trusted, still_clock):
    """Guards: `cases.views.status._within_limit` keyed by `client_ip`."""
    trusted.PUBLIC_STATUS_LOOKUPS = (3, 600)
    alice, bob = Client(), Client()
    assert [_lookup(alice, ALICE).status_code for _ in range(4)] == [200, 200, 200, 429]
    # A different leftmost entry does not give Alice a fresh allowance.
    assert _lookup(alice, f"9.9.9.9, {ALICE}").status_code == 429
    assert [_lookup(bob, BOB).status_code for _ in range(3)] == [200, 200, 200]


# --- The objection form and its captcha --------------------------------------------------------

CAPTCHA_KEY = re.compile(r'name="captcha_0" value="([0-9a-f]{40})"')


@pytest.fixture
def running(village_a, clerk_a, verifier_a, leader_a, township_a):
    household = HouseholdFactory(village=village_a, members=1)
    _case, entry = publicize(household, clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    return entry


def _form(client, entry, visitor):
    url = reverse("public_objection", args=[entry.batch.village.code])
    response = client.get(url, **behind_proxy(visitor))
    key = CAPTCHA_KEY.search(response.content.decode())[1]
    return url, key, captcha.answer_for(key)


def _object(client, entry, visitor, *, right=True):
    url, key, answer = _form(client, entry, visitor)
    if not right:
        answer = "".join(str((int(d) + 1) % 10) for d in answer)
    return client.post(url, {"entry": entry.pk, "content": "该户有车。", "captcha_0": key,
                             "captcha_1": answer}, **behind_proxy(visitor))


def test_one_visitor_s_wrong_captchas_do_not_shut_the_form_for_another(trusted, running,
                                                                       still_clock):
    """Guards: the objection form's per-client limit keyed by `client_ip` (not the proxy)."""
    alice, bob = Client(), Client()
    allowed = ratelimit.OBJECTION_PER_CLIENT[0]
    codes = [_object(alice, running, ALICE, right=False).status_code for _ in range(allowed)]
    assert codes == [400] * allowed
    assert _object(alice, running, ALICE).status_code == 429
    assert _object(bob, running, BOB).status_code == 302
    assert Objection.objects.count() == 1


def test_captcha_images_are_limited_per_visitor(trusted, running, monkeypatch, still_clock):
    monkeypatch.setattr(ratelimit, "CAPTCHA_PER_CLIENT", (2, 600))
    alice, bob = Client(), Client()
    _url, key, _answer = _form(alice, running, ALICE)
    image = reverse("public_captcha", args=[key])
    assert [alice.get(image, **behind_proxy(ALICE)).status_code for _ in range(3)] == [
        200, 200, 429]
    assert bob.get(image, **behind_proxy(BOB)).status_code == 200


# --- The logs ----------------------------------------------------------------------------------


def test_the_look_up_log_records_the_visitor_not_the_proxy(trusted, clerk_a, household_a):
    """Guards: `cases.audit_access.log_access` writing `client_ip`."""
    client = Client()
    client.force_login(clerk_a)
    page = client.get(reverse("household_detail", args=[household_a.pk]),
                      **behind_proxy(ALICE, sent="10.0.0.99"))
    assert page.status_code == 200
    assert AccessLog.objects.filter(object_type="household").latest("pk").ip == ALICE
