"""The stages wired together in one process: ingest -> lake and detection -> alerts -> delivery.

`onca ingest --detections` and the server build the same `DetectionStage`; nothing below this package knows
about the others.
"""
