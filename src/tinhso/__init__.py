"""tinhso: a provincial e-government platform (Nền tảng chính quyền số cấp tỉnh)."""

__version__ = "0.1.0"

from tinhso.celery import app as celery_app

__all__ = ["celery_app"]
