"""Organiser routes for attendance (being built)."""
