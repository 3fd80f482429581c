"""How to object, on the public village page: `{% load publicity_objecting %}`.

    {% objection_link village.code as link %}  link.url (absolute), link.qr (SVG data URI)

The board sheet draws the same QR code through `publicity.printing.objection_url`.
"""

from django import template

from publicity.printing import objection_url, qr_data_uri

register = template.Library()


@register.simple_tag(takes_context=True)
def objection_link(context, village_code: str) -> dict:
    """The online objection form of the village: its absolute URL and a QR code of it."""
    request = context["request"]
    url = objection_url(request.build_absolute_uri("/"), village_code)
    return {"url": url, "qr": qr_data_uri(url)}
