"""The audit: settings, requests, formats, the session that runs them, its result and gate."""
