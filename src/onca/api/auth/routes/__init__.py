"""The REST routes of users, roles, API tokens and signing in; `auth_router` in the package joins them."""
