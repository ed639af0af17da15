"""alertgate: hold alert webhooks, pass self-healing alerts as information, escalate the rest."""

__version__ = "0.1.0"
