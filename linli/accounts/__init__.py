"""Users, staff roles held at an area, resident verification, login flows and sessions."""
