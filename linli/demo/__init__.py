"""The demo-street generator (``linli demo --scale small|street``)."""
