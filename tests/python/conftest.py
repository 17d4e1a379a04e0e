"""pytest configuration for the Python package's tests (run by `make test`)."""
