"""The citizen's electronic data store (kho quản lý dữ liệu điện tử): docs/datastore.md."""
