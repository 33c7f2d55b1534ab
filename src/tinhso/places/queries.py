from __future__ import annotations

from django.conf import settings


def home_province_name() -> str:
    from vietnam_provinces import Province as Source

    try:
        return Source.from_code(int(settings.PROVINCE_CODE)).name
    except (ValueError, KeyError):
        return str(settings.PROVINCE_CODE)
