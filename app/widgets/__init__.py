"""The dashboard's widgets: one pane (or helper widget) per module."""
