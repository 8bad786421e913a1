def rule(event):
    return event.get("action") == "org.disable_two_factor_requirement"


def title(event):
    return f"{event.get('actor', 'someone')} stopped requiring two-factor in GitHub org {event.get('org')}"
