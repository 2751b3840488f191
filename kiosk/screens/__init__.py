"""The kiosk's screens: one Python class and one .kv file per screen."""
