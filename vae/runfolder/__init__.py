"""The checkpoint folder: its files (names, readers, writers), loading a run, listing runs."""
