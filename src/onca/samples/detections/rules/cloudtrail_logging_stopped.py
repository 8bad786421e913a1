STOPPING = {"StopLogging", "DeleteTrail"}


def rule(event):
    return event.get("eventSource") == "cloudtrail.amazonaws.com" and event.get("eventName") in STOPPING


def title(event):
    trail = event.deep_get("requestParameters", "name", default="a trail")
    return f"CloudTrail {trail} stopped logging in account {event.get('recipientAccountId')}"


def alert_context(event):
    return {"actor": event.deep_get("userIdentity", "arn"), "sourceIPAddress": event.get("sourceIPAddress")}
