"""Helpers shipped with the package for tests, benchmarks and plugin authors:
benign synthetic media and a throwaway PostgreSQL server."""
