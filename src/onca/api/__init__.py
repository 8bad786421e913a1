"""The server's HTTP face: REST and GraphQL API, HTTP log sources, health and metrics, authentication, RBAC and
the audit log. ``create_app`` builds the FastAPI app around a running ``OncaServer``."""
