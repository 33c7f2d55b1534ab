"""Sync with the national public-service portal (Cổng Dịch vụ công quốc gia, DVCQG)."""
