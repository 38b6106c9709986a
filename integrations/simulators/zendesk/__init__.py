"""A Zendesk Support API and webhook simulator."""
