"""The dashboard's screens: the four-pane dashboard and the help screen."""
