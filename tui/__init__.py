"""modelfallback: chat through ordered fallback chains of LLMs with live model health."""

__version__ = "0.1.0"
