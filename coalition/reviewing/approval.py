"""What approving an application needs acknowledged: the one rule that ``endorsement_approve``
enforces and the workspace's approve form asks for.

Whoever approves (a reviewer in the workspace, a command, an import) says they checked, with
``acknowledged=True`` and a note, when:

- the evidence (``coalition.reviewing.evidence``) flags a lookalike of an approved ally (its name
  or its domain), or a punycode domain, which may imitate one;
- another organization with a live endorsement shares its registrable domain or registry ID;
- no proof holds for its domain (``coalition.proofs.services.needs_other_verification``).

Otherwise ``endorsement_approve`` refuses with ``ApprovalNeedsAcknowledgement``. The workspace
asks for "I checked that this is a different organization" for the first two, "I verified this
organization another way" for the last, and a note for any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from coalition.errors import ApprovalNeedsAcknowledgement
from coalition.models import Endorsement
from coalition.proofs import services as proofs
from coalition.reviewing import evidence
from coalition.reviewing.services import evidence_current

# The kinds of reason, one tick each in the workspace: a lookalike and a shared domain or
# registry ID both ask "is this a different organization?"; an unproven domain asks how else.
LOOKALIKE, SHARED, UNPROVEN = "lookalike", "shared", "unproven"
UNPROVEN_CODE = "domain_unproven"

_KIND_OF_FLAG = {
    "lookalike_name": LOOKALIKE,
    "lookalike_domain": LOOKALIKE,
    "punycode_domain": LOOKALIKE,
    "shared_domain": SHARED,
    "shared_registry_id": SHARED,
}
_FLAG_TEXTS = {
    "lookalike_name": _("its name looks like an approved ally’s: %(others)s"),
    "lookalike_domain": _("its domain looks like an approved ally’s: %(others)s"),
    "punycode_domain": _("its domain is internationalized (%(unicode)s) and may imitate another"),
    "shared_domain": _("its domain %(domain)s is shared with %(others)s"),
    "shared_registry_id": _("its registry ID %(registry_id)s is shared with %(others)s"),
}
# A flag asking for the tick that has no words here yet still needs acknowledging.
_OTHER_FLAG_TEXT = _("the evidence asks for a check (%(code)s)")
_UNPROVEN_TEXT = _("no proof holds for its domain %(domain)s")
_MATCHES_NAMED = 3


@dataclass(frozen=True)
class Reason:
    """One thing approving needs acknowledged. ``kind``: ``LOOKALIKE``, ``SHARED`` or
    ``UNPROVEN``; ``code``: the evidence flag's code, or ``UNPROVEN_CODE``; ``text``: in words,
    in the active language; ``flag``: the stored flag it comes from, if any."""

    kind: str
    code: str
    text: str
    flag: dict[str, Any] | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return self.text


def _others(flag: dict[str, Any]) -> str:
    return ", ".join(
        f"“{match.get('name', '')}” ({match.get('domain', '')})"
        for match in flag.get("matches", [])[:_MATCHES_NAMED]
    )


def _flag_reason(flag: dict[str, Any]) -> Reason:
    code = flag.get("code", "")
    values = {**flag.get("params", {}), "others": _others(flag), "code": code}
    text = _FLAG_TEXTS.get(code, _OTHER_FLAG_TEXT) % values
    return Reason(_KIND_OF_FLAG.get(code, LOOKALIKE), code, str(text), flag)


def approval_reasons(endorsement: Endorsement) -> list[Reason]:
    """What approving ``endorsement`` needs acknowledged; empty when it may be approved as it
    is. Reads the stored evidence, computed again first when it is out of date."""
    stored = evidence_current(endorsement=endorsement)
    reasons = [_flag_reason(flag) for flag in stored.flags if flag.get("ack")]
    if proofs.needs_other_verification(endorsement):
        text = _UNPROVEN_TEXT % {"domain": endorsement.organization.domain}
        reasons.append(Reason(UNPROVEN, UNPROVEN_CODE, str(text)))
    return reasons


def acknowledgement_text(reasons: Sequence[Reason]) -> str:
    """What the audit row keeps of an acknowledgement: the flags that asked for it and whom they
    pointed at, and that the organization was verified another way."""
    flags = [reason.flag for reason in reasons if reason.flag is not None]
    parts = [evidence.acknowledgement_text(flags)]
    if any(reason.kind == UNPROVEN for reason in reasons):
        parts.append(str(proofs.OTHER_VERIFICATION_LABEL))
    return " ".join(part for part in parts if part)


def approval_check(*, endorsement: Endorsement, acknowledged: bool, note: str) -> list[Reason]:
    """Refuse an approval of ``endorsement`` that needs acknowledging unless it is
    ``acknowledged`` with a ``note``; return what was acknowledged (empty when nothing needed
    it). Raises ``ApprovalNeedsAcknowledgement``, naming what needs acknowledging."""
    reasons = approval_reasons(endorsement)
    if reasons and not (acknowledged and note.strip()):
        raise ApprovalNeedsAcknowledgement(
            _(
                "Approving “%(name)s” needs an acknowledgement and a note saying what was "
                "checked: %(reasons)s."
            )
            % {
                "name": endorsement.organization.name,
                "reasons": "; ".join(reason.text for reason in reasons),
            },
            reasons=reasons,
        )
    return reasons
