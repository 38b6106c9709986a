"""Pure Block Kit builders: data in, dicts out, always within Slack's limits."""
