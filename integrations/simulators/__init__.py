"""Local HTTP simulators of Slack, Zendesk and Jira, for tests, benchmarks and the demo."""
