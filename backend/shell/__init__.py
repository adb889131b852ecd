"""The app shell: home, search, offline page, manifest, service worker and preferences."""
