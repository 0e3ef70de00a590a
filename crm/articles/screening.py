"""The spam screen for comments: each rule adds to a score and says why.

Spam rules send a comment to the spam tab; hold rules keep it pending for a moderator;
a clean comment is pending too, unless admins let known authors through.
"""

from dataclasses import dataclass, field

from crm.articles.models import CommentStatus, ModerationSettings
from crm.articles.rendering import find_links

SPAM_SCORE = 10
HOLD_SCORE = 3


@dataclass
class Submission:
    """What the screen looks at, as plain values."""

    author_name: str
    author_email: str
    author_url: str
    body: str
    ip: str | None
    honeypot: str = ""
    seconds_to_fill: float = 60.0
    known_author: bool = False


@dataclass
class Verdict:
    status: CommentStatus
    score: int = 0
    reasons: list[str] = field(default_factory=list)


def _matches(words: list[str], text: str) -> list[str]:
    folded = text.casefold()
    return [word for word in words if word and word.casefold() in folded]


def screen(submission: Submission, rules: ModerationSettings, min_fill_seconds: float) -> Verdict:
    """Judge a comment against the rules; nothing here touches the database."""
    spam, hold = [], []
    if submission.honeypot:
        spam.append("hidden honeypot field was filled in")
    if submission.seconds_to_fill < min_fill_seconds:
        spam.append(f"form sent {submission.seconds_to_fill:.1f} s after it was served")
    if submission.author_email.lower() in {e.lower() for e in rules.blocked_emails}:
        spam.append("blocked email address")
    if submission.ip and submission.ip in set(rules.blocked_ips):
        spam.append("blocked IP address")
    everything = " ".join((submission.author_name, submission.author_email,
                           submission.author_url, submission.body))
    for word in _matches(rules.block_words, everything):
        spam.append(f"blocked word: {word}")
    links = len(find_links(submission.body))
    if links > rules.max_links:
        hold.append(f"{links} links (more than {rules.max_links})")
    for word in _matches(rules.moderation_words, everything):
        hold.append(f"moderation word: {word}")

    score = SPAM_SCORE * len(spam) + HOLD_SCORE * len(hold)
    if spam:
        return Verdict(CommentStatus.SPAM, score, spam + hold)
    if hold:
        return Verdict(CommentStatus.PENDING, score, hold)
    if rules.auto_approve_known_authors and submission.known_author:
        return Verdict(CommentStatus.APPROVED, score, ["author has an approved comment"])
    return Verdict(CommentStatus.PENDING, score, ["new comments wait for a moderator"])
