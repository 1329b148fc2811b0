"""Realistic German CRM data: pools, row factories and fast writers (seed, demo)."""
