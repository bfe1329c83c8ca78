"""helpbot: a chat helpdesk bot for NHSmail."""

__version__ = "0.1.0"
