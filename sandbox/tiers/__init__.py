"""The plugin tiers: core (built-in verbs), native (Python classes, shared libraries) and the worker."""
