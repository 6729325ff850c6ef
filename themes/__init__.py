"""Textual themes (dark, light, high contrast, monochrome), built in the dashboard issue."""
