"""Feed items as slides: self-contained HTML pages rendered at the server, in Danish."""
