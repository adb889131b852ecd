"""Policy guides: Markdown content per locale, versioned, readable offline."""
