"""Template tags for proving a domain: the instructions in the confirmation mail, and the proof's
status and history in the reviewers' workspace (``templates/review/_domain_proof.html``)."""

from __future__ import annotations

from django import template

from coalition.models import Endorsement, Organization
from coalition.proofs import services as proofs

register = template.Library()


@register.simple_tag
def domain_proof_instructions(organization: Organization) -> proofs.Instructions:
    """What ``organization`` publishes to prove its domain (its token is made on first use)."""
    return proofs.instructions(organization)


@register.simple_tag
def domain_proof_status(endorsement: Endorsement) -> proofs.ProofStatus:
    """Where ``endorsement``'s domain proof stands, with its latest checks."""
    return proofs.proof_status(endorsement)
