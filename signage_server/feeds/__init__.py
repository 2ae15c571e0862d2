"""News and event feeds: definitions, fetching, parsing and cleaning.

Work in progress (issue 3): the pieces here are tested on their own; they are not yet
wired into compose, the hub or the kiosk page.
"""
