// Intentionally empty: see docs/adr/0005-nuget-shims.md.
