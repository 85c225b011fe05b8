"""Delivery: the only outbound network code. E-mail (SMTP), Matrix, Discord, Discourse and Slack transports,
a router choosing one per outbox channel, and the worker that claims due rows and sends them."""
