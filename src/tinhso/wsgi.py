import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
django.setup(set_prefix=False)

from tinhso.core.lanes import Application  # noqa: E402  (after setup: it builds the handlers)

application = Application()
