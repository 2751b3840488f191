"""What residents and guides touch: the Kivy app, one .kv file per screen, theme, speech and
translations (issue 4)."""
