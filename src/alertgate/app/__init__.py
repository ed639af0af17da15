"""The imperative shell: ingest, scheduler, delivery and read models, over the ports."""
