"""PySide6 widgets and windows."""
