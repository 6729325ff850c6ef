"""The pt-tui engine: ingest, the Interface Signature Graph, name resolution and queries.

Usable without any UI: this package never imports textual, the app or the sandbox.
"""
