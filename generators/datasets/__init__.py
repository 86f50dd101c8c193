"""Datasets built at build time from packages (a script per set rebuilds its shipped file)."""
