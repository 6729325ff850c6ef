"""The host's :class:`~pt_tui.sandbox.trust.TrustPolicy`, backed by signed reviews in the registries."""

from __future__ import annotations

from pt_tui.sandbox.registry.catalog import Catalog
from pt_tui.sandbox.registry.reviews import ReviewCheck, judge
from pt_tui.sandbox.trust import TrustDecision, TrustPolicy


class ReviewTrustPolicy:
    """Approve ``(name, version, sha256)`` when enough trusted reviewers signed an approval of it.

    Reviews are gathered from every configured registry's entry for ``name@version`` (a signature
    authenticates itself, so where it is stored does not matter). Only valid signatures by keys in the
    user's trusted reviewers, over exactly ``sha256``, count; one trusted rejection refuses.
    """

    def __init__(self, catalog: Catalog | None = None, *, needed: int | None = None) -> None:
        self.catalog = catalog or Catalog.load()
        self.needed = needed if needed is not None else self.catalog.config.required_reviews

    def checks(self, name: str, version: str, sha256: str) -> list[ReviewCheck]:
        reviews = [
            r for o in self.catalog.offers(name) if o.entry.version == version for r in o.entry.reviews
        ]
        unique = list(dict.fromkeys(reviews))
        return judge(unique, name, version, sha256, self.catalog.config.reviewers)

    def check(self, name: str, version: str, sha256: str) -> TrustDecision:
        checks = self.checks(name, version, sha256)
        approvals = [c for c in checks if c.counts and c.review.verdict == "approve"]
        rejections = [c for c in checks if c.counts and c.review.verdict == "reject"]
        if rejections:
            who = ", ".join(c.reviewer for c in rejections)
            return TrustDecision(
                approved=False, reviews=len(approvals), needed=self.needed, reason=f"rejected by {who}"
            )
        if len(approvals) >= self.needed:
            who = ", ".join(c.reviewer for c in approvals)
            return TrustDecision(
                approved=True, reviews=len(approvals), needed=self.needed, reason=f"approved by {who}"
            )
        untrusted = sum(1 for c in checks if not c.counts)
        reason = "not enough trusted approving reviews for this sha256"
        if untrusted:
            reason += f" ({untrusted} review(s) not counted)"
        return TrustDecision(approved=False, reviews=len(approvals), needed=self.needed, reason=reason)


class AnyOf:
    """Approve when any of the policies approves (e.g. signed reviews, or the user's local approvals)."""

    def __init__(self, *policies: TrustPolicy) -> None:
        self.policies = policies

    def check(self, name: str, version: str, sha256: str) -> TrustDecision:
        decisions = [p.check(name, version, sha256) for p in self.policies]
        for decision in decisions:
            if decision.approved:
                return decision
        if not decisions:
            return TrustDecision(approved=False, reviews=0, needed=1, reason="no trust source configured")
        return max(decisions, key=lambda d: d.reviews)


def default_trust() -> TrustPolicy:
    """The trust a host should use: signed reviews in the registries, or the user's local approvals."""
    from pt_tui.sandbox.trust import LocalApprovals

    return AnyOf(ReviewTrustPolicy(), LocalApprovals())
