"""A Slack Web API simulator: the methods the app calls, with Slack's arguments, errors, limits."""
