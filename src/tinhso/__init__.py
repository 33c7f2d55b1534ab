"""tinhso: a provincial e-government platform (Nền tảng chính quyền số cấp tỉnh)."""

__version__ = "0.1.0"
