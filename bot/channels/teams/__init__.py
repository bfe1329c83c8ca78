"""The Microsoft Teams channel: the same core, reached where NHSmail users already work."""
