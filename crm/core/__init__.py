"""Shared plumbing that every feature uses: column types, validators, errors, security."""
