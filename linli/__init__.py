"""Linli (邻里): an Internet+ urban community governance platform."""

__version__ = "0.1.0"
