from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from coalition.images import logos
from coalition.management.commands.load_reference_data import FIXTURES_DIR
from coalition.management.commands.seed_demo import ORGANIZATIONS, draw_logo, rng_for
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvent,
    Logo,
    Organization,
    OutboundEmail,
    RejectionReason,
    Sector,
)

Category = Sector.TransparencyRegisterCategory

TOP_LEVEL = {
    "child-protection-ngo": Category.NGOS,
    "survivor-led-organization": Category.NGOS,
    "other-civil-society": Category.NGOS,
    "technology-company": Category.IN_HOUSE_AND_TRADE,
    "industry-association": Category.IN_HOUSE_AND_TRADE,
    "government-body": Category.PUBLIC_AUTHORITIES,
    "law-enforcement": Category.PUBLIC_AUTHORITIES,
    "international-organization": Category.PUBLIC_AUTHORITIES,
    "academic-or-research": Category.THINK_TANKS,
    "faith-based-organization": Category.RELIGIOUS,
    "professional-association": Category.IN_HOUSE_AND_TRADE,
    "other": Category.NGOS,
}
REASONS = {
    "not-an-organization",
    "identity-not-verifiable",
    "duplicate",
    "out-of-scope",
    "logo-unusable",
    "other",
}


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    return Sector.objects.count(), RejectionReason.objects.count(), Campaign.objects.count()


def test_it_loads_the_reference_data_once(db):
    first = run("load_reference_data")
    loaded = counts()
    second = run("load_reference_data")

    assert counts() == loaded
    total = sum(loaded)
    assert f"Reference data: {total} created, 0 already present" in first
    assert f"Reference data: 0 created, {total} already present" in second


def test_it_has_every_top_level_sector_with_its_register_category(db):
    run("load_reference_data")

    top_level = dict(
        Sector.objects.filter(parent=None).values_list("slug", "transparency_register_category")
    )
    assert top_level == TOP_LEVEL


def test_child_sectors_sit_under_a_top_level_sector_and_share_its_category(db):
    run("load_reference_data")

    children = Sector.objects.exclude(parent=None).select_related("parent")
    assert {child.parent.slug for child in children} >= {
        "technology-company",
        "child-protection-ngo",
        "professional-association",
    }
    for child in children:
        assert child.parent.parent_id is None
        assert child.transparency_register_category == child.parent.transparency_register_category
        child.full_clean()


def test_it_has_the_six_rejection_reasons_with_text_for_applicants(db):
    run("load_reference_data")

    assert set(RejectionReason.objects.values_list("code", flat=True)) == REASONS
    for reason in RejectionReason.objects.all():
        assert reason.active
        assert reason.text.strip()
        assert reason.description.strip()


def test_it_has_exactly_one_default_campaign_that_accepts_applications(db):
    run("load_reference_data")

    campaign = Campaign.objects.get(is_default=True)
    assert Campaign.objects.count() == 1
    assert campaign.accepts_applications
    assert "2021/1232" in campaign.statement
    assert campaign.created_at is not None


def test_it_leaves_edited_rows_alone(db):
    run("load_reference_data")
    Campaign.objects.filter(is_default=True).update(title="Edited by a reviewer")
    RejectionReason.objects.filter(code="duplicate").update(text="Edited wording")

    run("load_reference_data")

    assert Campaign.objects.get(is_default=True).title == "Edited by a reviewer"
    assert RejectionReason.objects.get(code="duplicate").text == "Edited wording"


def test_it_skips_rows_that_exist_under_another_key(db, sector):
    run("load_reference_data")

    assert Sector.objects.filter(slug=sector.slug).count() == 1
    # The children of the sector the fixture could not create hang from the existing one.
    assert sector.children.filter(slug="child-helpline").exists()


def test_it_leaves_another_default_campaign_the_default(db):
    campaign = Campaign.objects.create(
        pk=50, slug="another", title="Another", statement="Another.", is_default=True
    )

    run("load_reference_data")

    assert Campaign.objects.get(is_default=True) == campaign
    assert Campaign.objects.filter(slug="keep-detection-legal", is_default=False).exists()


def test_new_rows_after_loading_get_fresh_keys(db):
    run("load_reference_data")

    sector = Sector.objects.create(
        slug="new-one", name="New one", transparency_register_category=Category.NGOS
    )
    reason = RejectionReason.objects.create(code="new-one", text="New")

    assert sector.pk not in Sector.objects.exclude(slug="new-one").values_list("pk", flat=True)
    assert reason.pk > 6


@pytest.mark.parametrize("fixture", ["sectors", "rejection_reasons", "campaigns"])
def test_each_fixture_loads_twice_with_loaddata_without_duplicates(db, fixture):
    call_command("loaddata", FIXTURES_DIR / f"{fixture}.json", stdout=io.StringIO())
    loaded = counts()
    call_command("loaddata", FIXTURES_DIR / f"{fixture}.json", stdout=io.StringIO())

    assert counts() == loaded
    assert sum(loaded) > 0


def test_seed_demo_does_nothing_when_debug_is_off(db, settings):
    settings.DEBUG = False

    out = run("seed_demo")

    assert "skipped" in out
    assert not Organization.objects.exists()


@pytest.fixture
def seeded(db):
    out = run("seed_demo", "--force")
    return out


def test_seed_demo_creates_about_forty_approved_organizations(seeded):
    organizations = Organization.objects.all()

    assert 35 <= organizations.count() <= 45
    assert f"Demo data: {organizations.count()} organizations created, 0 already present" in seeded
    assert len(set(organizations.values_list("country", flat=True))) >= 12
    campaign = Campaign.objects.get(is_default=True)
    for organization in organizations:
        endorsement = organization.endorsements.get()
        assert endorsement.campaign == campaign
        assert endorsement.status == Endorsement.Status.APPROVED
        assert endorsement.approved_at is not None
        assert endorsement.contact_domain_matches


def test_seed_demo_covers_every_top_level_sector(seeded):
    covered = set()
    for organization in Organization.objects.select_related("sector__parent"):
        covered.add((organization.sector.parent or organization.sector).slug)

    assert covered == set(TOP_LEVEL)


def test_seed_demo_uses_only_reserved_domains(seeded):
    for organization in Organization.objects.all():
        assert organization.domain.endswith(".example")
        assert organization.website.startswith("https://www.")

    domains = list(Organization.objects.values_list("domain", flat=True))
    assert len(domains) == len(set(domains))


def test_seed_demo_gives_every_organization_its_own_processed_logo(seeded):
    organizations = Organization.objects.all()
    digests = {organization.logo.digest for organization in organizations}

    # Besides the demo organizer's own (see test_campaign_page.py).
    organizers = Logo.objects.filter(pk__in=Campaign.objects.values("organizer_logo_id"))
    assert len(digests) == organizations.count() == Logo.objects.count() - organizers.count()


def test_seed_demo_approves_through_the_services_and_sends_no_mail(seeded, mailoutbox):
    assert not OutboundEmail.objects.exists()
    assert mailoutbox == []
    events = EndorsementEvent.objects.filter(to_status=Endorsement.Status.APPROVED)
    assert events.count() == Organization.objects.count()
    assert set(events.values_list("note", flat=True)) == {"Demo data"}


def test_seed_demo_does_not_tell_reviewers_about_demo_applications(reviewer, mailoutbox):
    run("seed_demo", "--force")

    assert not OutboundEmail.objects.exists()
    assert mailoutbox == []


def test_seed_demo_leaves_other_mail_in_the_outbox(db):
    other = OutboundEmail.objects.create(
        to=["someone@real.example.net"], subject="Hi", body_text="Hi", template="approved"
    )

    run("seed_demo", "--force")

    assert list(OutboundEmail.objects.all()) == [other]


def test_seed_demo_twice_creates_nothing_new(seeded):
    before = (Organization.objects.count(), Endorsement.objects.count(), Logo.objects.count())
    digests = set(Logo.objects.values_list("digest", flat=True))

    out = run("seed_demo", "--force")

    after = (Organization.objects.count(), Endorsement.objects.count(), Logo.objects.count())
    assert after == before
    assert f"0 organizations created, {before[0]} already present" in out
    assert set(Logo.objects.values_list("digest", flat=True)) == digests


def test_seed_demo_draws_the_same_logos_every_time(seeded):
    stored = set(Organization.objects.values_list("logo__digest", flat=True))

    drawn = {
        logos.process(
            logos.validate_and_open(io.BytesIO(draw_logo(spec.name, rng_for(spec))))
        ).digest
        for spec in ORGANIZATIONS
    }

    assert drawn == stored
