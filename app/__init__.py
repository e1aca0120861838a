"""ParrotChat: a small, fast, abuse-resistant chat server over WebSockets."""

__version__ = "0.1.0"
