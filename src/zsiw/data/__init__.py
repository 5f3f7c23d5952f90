"""Raw-data readers, normalisation and preparation for the three benchmarks.

Submodules are imported explicitly (``from zsiw.data.semeval import parse_semeval_xml``) so
that importing a parser does not pull in ``datasets``; see ``docs/data.md`` for the rules.
"""
