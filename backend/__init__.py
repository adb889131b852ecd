"""IP Handheld (知识产权掌上办): the public-service app of an intellectual-property office."""

import os

# Piccolo finds its engine and apps through this module path (tables, migrations, CLI).
os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")
