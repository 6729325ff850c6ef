"""The ``pt-tui`` entry point: the headless CLI now, the Textual dashboard later."""
