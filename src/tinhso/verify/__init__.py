"""Electronic results (kết quả điện tử) and their public verification page (/xac-thuc/)."""
