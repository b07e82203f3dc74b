"""Reusable test machinery shipped with the package (scenario drivers, strategies)."""
