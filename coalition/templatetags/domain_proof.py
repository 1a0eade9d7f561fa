"""Template tags for proving a domain: the instructions in the confirmation mail, and the proof's
status and history in the reviewers' workspace (``templates/review/_domain_proof.html``)."""

from __future__ import annotations

from django import template

from coalition import domain_proof
from coalition.models import Endorsement, Organization

register = template.Library()


@register.simple_tag
def domain_proof_instructions(organization: Organization) -> domain_proof.Instructions:
    """What ``organization`` publishes to prove its domain (its token is made on first use)."""
    return domain_proof.instructions(organization)


@register.simple_tag
def domain_proof_status(endorsement: Endorsement) -> domain_proof.ProofStatus:
    """Where ``endorsement``'s domain proof stands, with its latest checks."""
    return domain_proof.proof_status(endorsement)
