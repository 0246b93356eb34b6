"""Event contracts of the e-RK platform: the envelope, the events, topics and shared settings."""
