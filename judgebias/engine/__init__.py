"""The engine: the runner (concurrency, retries, cache) and the SQLite store."""
