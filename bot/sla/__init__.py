"""Service levels: targets and each ticket's thresholds, leads' policy, alerts in threads."""
