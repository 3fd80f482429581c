"""Template filters for documents: `{% load doc_format %}`.

    {{ case.applied_at|cn_date }}      2026年11月26日
    {{ amount|yuan }}                  1,234.50元
    {{ amount|yuan_capital }}          壹仟贰佰叁拾肆元伍角整
    {{ person.id_number|mask_id }}     3713**********123X
    {{ verify_url|qr_data_uri }}       data:image/svg+xml,... (a QR code)
"""

from django import template

from documents import formatting

register = template.Library()

register.filter("cn_date", formatting.cn_date)
register.filter("cn_month", formatting.cn_month)
register.filter("yuan", formatting.yuan)
register.filter("yuan_capital", formatting.yuan_capital)
register.filter("mask_id", formatting.mask_id)


@register.filter
def qr_data_uri(url: str) -> str:
    """A QR code for `url` as an SVG data URI (segno), for the verification block."""
    import segno

    if not url:
        return ""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=1)
