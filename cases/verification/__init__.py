"""Household economic-status verification, confidentiality, relatives of staff, standards and
the means test (S2, S4, S5, S19, S20).

Modules: `sources` (data-source adapters), `importer` (the city platform's result files),
`access` (who may see verification data, and the access log), `services` (every change),
`selectors` (reads for pages and documents), `standards` (dated figures), `assessment` (the
calculation, pure), `relatives` (近亲属备案 flags and 回避), `export` (watermarks), `files`
(scans and photos), `forms` (the pages' forms).
"""
