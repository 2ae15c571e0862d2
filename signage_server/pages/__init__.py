"""Feed items and text slides as slides: self-contained HTML pages rendered at the server,
in Danish."""

#: A slide page (rendered from a template with feed or editor text in it) runs nothing and
#: loads nothing but its pictures, also when opened directly.
PAGE_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
