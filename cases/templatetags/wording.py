"""Built-in filters for the words users read (settings `TEMPLATES` builtins):
`{{ deadline.clause|basis }}` names a rule in words, never by its clause id."""

from django import template

from cases.basis import clause_words

register = template.Library()


@register.filter
def basis(clause: str) -> str:
    return clause_words(clause)
