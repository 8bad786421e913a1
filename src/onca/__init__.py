"""Onca: a self-hosted security data lake and detection platform."""

__version__ = "0.1.0"
