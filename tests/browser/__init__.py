"""End-to-end tests of the kiosk page in Debian's Chromium."""
