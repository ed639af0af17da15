"""The durable store: one SQLAlchemy Core schema and query module for SQLite and PostgreSQL."""
