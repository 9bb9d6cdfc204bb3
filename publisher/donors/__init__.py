"""Honouring donors: consents for their stories, the donor register, commendations."""
