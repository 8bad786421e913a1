"""Saved queries over REST, as Panther's /queries."""

from __future__ import annotations


def test_saved_queries_crud(running):
    body = {"name": "Okta logins", "sql": "SELECT * FROM okta_systemlog", "description": "who signed in",
            "schedule": {"cron": "0 * * * *", "timeoutMinutes": 10}}
    created = running.post("/api/v1/queries", json=body)
    assert created.status_code == 200, created.text
    query = created.json()
    assert query["schedule"] == {"cron": "0 * * * *", "timeoutMinutes": 10, "disabled": False}
    assert query["createdBy"] == running.admin_email and query["managed"] is False
    assert running.post("/api/v1/queries", json=body).status_code == 409
    assert running.get(f"/api/v1/queries/{query['id']}").json()["sql"] == body["sql"]
    changed = running.post(f"/api/v1/queries/{query['id']}",
                           json={"name": "Okta logins", "sql": "SELECT 1", "schedule": {"rateMinutes": 15}})
    assert changed.json()["schedule"]["rateMinutes"] == 15 and changed.json()["sql"] == "SELECT 1"
    listed = running.get("/api/v1/queries").json()
    assert [q["id"] for q in listed["results"]] == [query["id"]] and listed["next"] is None
    assert running.delete(f"/api/v1/queries/{query['id']}").status_code == 204
    assert running.get(f"/api/v1/queries/{query['id']}").status_code == 404


def test_bad_schedules_are_refused(running):
    bad_cron = running.post("/api/v1/queries", json={"name": "x", "sql": "SELECT 1", "schedule": {"cron": "nope"}})
    assert bad_cron.status_code == 422 and "cron" in bad_cron.json()["message"]
    both = running.post("/api/v1/queries", json={"name": "x", "sql": "SELECT 1",
                                                 "schedule": {"cron": "* * * * *", "rateMinutes": 5}})
    assert both.status_code == 422 and "either cron or rateMinutes" in both.json()["message"]
