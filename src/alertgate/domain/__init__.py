"""The decision core: alert model, incident lifecycle, hold policy and routing; pure, no I/O."""
