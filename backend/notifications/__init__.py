"""The sink every domain may call: e-mail now; the in-app inbox and Web Push with issue 4."""
