"""Notifiers: one module per channel (log, and later Teams, Graph mail, SMTP, webhook)."""
