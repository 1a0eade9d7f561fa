"""Which model fields are written in several languages (django-modeltranslation).

Each gets a column per language (``title_en``, ``title_fr``, ``title_de``); reading ``title``
gives the active language's text, or the English one where a translation is missing.
"""

from modeltranslation.translator import TranslationOptions, register

from coalition.models import (
    Campaign,
    CampaignUpdate,
    Milestone,
    Organization,
    OrganizationVersion,
    PrivacyNotice,
    RejectionReason,
    Sector,
)


@register(Campaign)
class CampaignTranslation(TranslationOptions):
    fields = ("title", "lead", "addressee", "statement", "organizer_name")
    required_languages = ("en",)


@register(Sector)
class SectorTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("en",)


@register(RejectionReason)
class RejectionReasonTranslation(TranslationOptions):
    fields = ("text",)
    required_languages = ("en",)


@register(Organization)
class OrganizationTranslation(TranslationOptions):
    fields = ("statement",)


@register(OrganizationVersion)
class OrganizationVersionTranslation(TranslationOptions):
    fields = ("statement",)


@register(PrivacyNotice)
class PrivacyNoticeTranslation(TranslationOptions):
    fields = ("text",)
    required_languages = ("en",)


@register(Milestone)
class MilestoneTranslation(TranslationOptions):
    fields = ("title", "link")
    required_languages = ("en",)


@register(CampaignUpdate)
class CampaignUpdateTranslation(TranslationOptions):
    fields = ("subject", "body")
    required_languages = ("en",)
