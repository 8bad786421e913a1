"""The `onca` command line."""
