"""Drop-in replacement for the standard library's ``json`` module."""
