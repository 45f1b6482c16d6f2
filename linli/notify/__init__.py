"""Notification centre: in-app inbox, SMS and e-mail channels, delivery through the job queue."""
