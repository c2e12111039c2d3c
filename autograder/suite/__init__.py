"""Hidden suites are ordinary pytest files; this package is their plugin and runner."""
