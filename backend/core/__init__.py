"""Cross-cutting pieces that know no domain: i18n, security headers, errors, htmx, stores."""
