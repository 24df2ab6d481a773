"""curate: turn messy exports into a fine-tuning dataset people can trust."""
__version__ = "0.1.0"
