"""The model-manager thread, its jobs and its events. Qt appears only at this package's edge."""
