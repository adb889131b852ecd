"""The sink every domain may call: the in-app inbox always, e-mail and Web Push by opt-in."""
