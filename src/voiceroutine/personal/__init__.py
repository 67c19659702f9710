"""Personalised sessions: one template filled in for each person of a CSV file."""
