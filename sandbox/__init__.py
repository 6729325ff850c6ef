"""Plugin API, tiers, budgets and registries (built in the plugins and registries issues)."""
