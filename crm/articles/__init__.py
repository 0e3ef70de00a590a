"""Technical articles, their comments and the moderation queue."""
