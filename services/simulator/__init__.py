"""Simulator: a synthetic organisation and its traffic, driven through the public APIs."""
