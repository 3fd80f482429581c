"""The staff publicity pages show the 公示 navigation link once: from the main navigation for
those who work in villages, added by the page for district staff (whose navigation lacks it)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def nav_links(client: Client, url: str) -> list[str]:
    html = client.get(url).content.decode()
    nav = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    return [link for link in nav.split("</a>") if link.rstrip().endswith(">公示")]


def pages(entry) -> list[str]:
    return [reverse("publicity_batch_list"),
            reverse("publicity_batch_detail", args=[entry.batch.pk]),
            reverse("publicity_objection_new", args=[entry.case.pk]),
            reverse("publicity_appraisal_new", args=[entry.case.pk])]


@pytest.mark.parametrize("who", ["clerk_a", "leader_a", "bureau"])
def test_the_publicity_link_appears_once(request, running_entry, who):
    client = Client()
    client.force_login(request.getfixturevalue(who))
    opened = []
    for url in pages(running_entry):
        if client.get(url).status_code != 200:  # a form this role may not open
            continue
        opened.append(url)
        assert len(nav_links(client, url)) == 1, (who, url)
    assert opened[:2] == pages(running_entry)[:2]  # the list and the sheet, for every role
