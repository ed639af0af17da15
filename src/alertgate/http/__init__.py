"""The HTTP surface: webhooks (a lean ASGI path), health, readiness and the JSON API."""
