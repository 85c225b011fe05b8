"""Moderation triage: signals (spam, self-promotion, reposts, toxicity, heated exchanges, off-topic
drift), the shipped models, and reply suggestions. See docs/moderation.md and docs/model-card.md."""
