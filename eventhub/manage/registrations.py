"""Organiser routes for registrations (being built)."""
