"""A campaign's page and its branding: organizer, lead, counts, newest allies, the statement, the
accent colour (checked for contrast), the hero image, the share tags, the admin and the API."""

from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from coalition import services
from coalition.images import colours, heroes
from coalition.management.commands.seed_demo import demo_organizer_set
from coalition.models import Campaign, Endorsement, HeroImage, Logo
from tests.conftest import image_bytes
from tests.wall_helpers import HOSTILE_NAMES, bulk_allies, make_logo, sector_tree

APPROVED = Endorsement.Status.APPROVED


@pytest.fixture
def sectors(db):
    return sector_tree()


@pytest.fixture
def branded(campaign) -> Campaign:
    campaign.organizer_name_en = "Northlight Alliance"
    campaign.organizer_name_fr = "Alliance Northlight"
    campaign.organizer_website = "https://northlight.example/"
    campaign.organizer_logo = make_logo(color=(20, 60, 200))
    campaign.accent_color = "#1d4ed8"
    campaign.lead_en = "Detection finds known abuse material. Keep it legal."
    campaign.lead_fr = "La détection repère les contenus connus. Gardons-la légale."
    campaign.addressee_en = "To the Members of the European Parliament"
    campaign.addressee_fr = "Aux députés du Parlement européen"
    campaign.save()
    return campaign


def body_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_opens_with_the_organizer_title_lead_counts_and_one_sign_on(
    client, branded, sectors
):
    bulk_allies(branded, sectors["tech"], 3, country="DE")
    bulk_allies(branded, sectors["ngo"], 2, country="FR")

    body = body_of(client.get("/"))

    header = body.split('<main id="main">')[0]
    assert "Northlight Alliance" in header
    assert 'href="https://northlight.example/"' in header
    assert 'class="organizer-logo"' in header
    main = body.split('<main id="main">')[1]
    # In this order: title, lead, the counts, the action, then the newest allies and statement.
    positions = [
        main.index("<h1>Keep detection legal</h1>"),
        main.index("Detection finds known abuse material. Keep it legal."),
        main.index("5 organizations stand together"),
        main.index("in 2 countries"),
        main.index(">Sign on</a>"),
        main.index("Read the full statement"),
        main.index("Newest to sign on"),
        main.index("To the Members of the European Parliament"),
        main.index(branded.statement),
    ]
    assert positions == sorted(positions)
    assert main.count('class="button sign-on"') == 1
    assert 'href="#statement"' in main
    assert 'id="statement"' in main


def test_the_newest_allies_are_the_latest_approved_and_at_most_eight(client, branded, sectors):
    bulk_allies(branded, sectors["tech"], 12, prefix="Ally")

    body = body_of(client.get("/"))

    newest = body.split('class="newest-list"')[1].split("</ul>")[0]
    names = re.findall(r'<span class="newest-name">([^<]*)</span>', newest)
    newest_first = list(
        Endorsement.objects.filter(status=APPROVED)
        .order_by("-approved_at", "-pk")
        .values_list("organization__name", flat=True)[:8]
    )
    assert names == newest_first


def test_the_page_is_in_the_readers_language_with_the_translated_branding(client, branded):
    body = body_of(client.get("/fr/"))

    assert "Alliance Northlight" in body
    assert "La détection repère les contenus connus. Gardons-la légale." in body
    assert "Aux députés du Parlement européen" in body


def test_a_campaign_without_branding_shows_the_site_name_from_the_setting(
    client, campaign, settings
):
    settings.SITE_NAME = "Stand Together EU"

    body = body_of(client.get("/"))

    assert '<a class="brand" href="/">Stand Together EU</a>' in body
    assert "<title>Keep detection legal · Stand Together EU</title>" in body
    assert 'class="theme-campaign"' not in body
    assert "/theme/" not in body


def test_without_the_setting_the_site_is_called_coalition_registry(client, campaign, settings):
    settings.SITE_NAME = ""

    assert '<a class="brand" href="/">Coalition Registry</a>' in body_of(client.get("/resend/"))


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_hostile_branding_is_escaped_everywhere_on_the_page(client, campaign, hostile):
    Campaign.objects.filter(pk=campaign.pk).update(
        organizer_name_en=hostile, lead_en=hostile, addressee_en=hostile
    )

    body = body_of(client.get("/"))

    assert "<script>alert(1)" not in body
    assert "<img src=x" not in body
    assert 'content=""><img' not in body


def test_the_page_carries_open_graph_and_twitter_card_tags(client, branded, settings):
    settings.SITE_URL = "https://coalition.example.org"

    body = body_of(client.get("/campaigns/keep-detection/"))

    image = "https://coalition.example.org/campaigns/keep-detection/share.png"
    assert f'<meta property="og:image" content="{image}">' in body
    assert '<meta property="og:image:width" content="1200">' in body
    assert '<meta property="og:image:height" content="630">' in body
    assert '<meta property="og:title" content="Keep detection legal">' in body
    assert (
        '<meta property="og:url" content="https://coalition.example.org/campaigns/keep-detection/">'
        in body
    )
    assert '<meta property="og:site_name" content="Northlight Alliance">' in body
    assert '<meta name="twitter:card" content="summary_large_image">' in body
    assert f'<meta name="twitter:image" content="{image}">' in body
    assert "Detection finds known abuse material." in body.split('property="og:description"')[1]


def test_french_pages_share_the_french_card(client, branded, settings):
    settings.SITE_URL = "https://coalition.example.org"

    body = body_of(client.get("/fr/"))

    assert "https://coalition.example.org/fr/campaigns/keep-detection/share.png" in body


@pytest.mark.parametrize("allies", [3, 60])
def test_the_page_is_built_in_a_fixed_number_of_queries(
    client, branded, sectors, allies, django_assert_max_num_queries
):
    branded.hero_image = heroes.hero_store(heroes.process(Image.new("RGB", (1200, 500), "navy")))
    branded.save()
    logo = make_logo()
    for country in ("DE", "FR", "IT"):
        bulk_allies(branded, sectors["tech"], allies // 3, country=country, logo=logo)
    cache.clear()

    # The campaign, the sectors, the facets, the count, the page, the newest allies, the newest
    # statements ("Why they signed"), the timeline, the organizer's logo and the hero image:
    # whatever the number of allies or countries.
    with django_assert_max_num_queries(10):
        response = client.get("/")

    assert response.status_code == 200
    with django_assert_max_num_queries(0):
        assert client.get("/").status_code == 200


def test_a_change_in_the_admin_shows_on_the_page_at_once(
    client, superuser, branded, django_capture_on_commit_callbacks
):
    client.get("/")  # cached
    client.force_login(superuser)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:coalition_campaign_change", args=[branded.pk]),
            admin_data(branded, lead_en="A brand new lead."),
        )

    assert response.status_code == 302
    client.logout()
    assert "A brand new lead." in body_of(client.get("/"))


# The accent colour


@pytest.mark.parametrize(
    ("colour", "ratio"),
    [("#ffffff", 1.0), ("#000000", 21.0), ("#0b6e4f", 6.25), ("#777777", 4.48)],
)
def test_contrast_is_the_wcag_ratio(colour, ratio):
    assert colours.contrast_ratio(colours.parse_hex(colour), (255, 255, 255)) == pytest.approx(
        ratio, abs=0.05
    )


def test_a_light_accent_is_refused_with_its_contrast_named(campaign):
    campaign.accent_color = "#7fd1ae"

    with pytest.raises(ValidationError) as refused:
        campaign.full_clean()

    message = refused.value.message_dict["accent_color"][0]
    assert "#7fd1ae is too light to read on the page" in message
    assert "4.5:1 (WCAG AA)" in message
    assert re.search(r"its contrast is 1\.\d\d:1", message)


def test_an_accent_that_is_not_a_colour_is_refused(campaign):
    campaign.accent_color = "blue"

    with pytest.raises(ValidationError) as refused:
        campaign.full_clean()

    assert refused.value.message_dict == {
        "accent_color": ["Enter the colour as six hexadecimal digits, such as #0b6e4f."]
    }


def test_a_dark_enough_accent_is_stored_in_one_spelling(campaign):
    campaign.accent_color = "1D4ED8"

    campaign.full_clean()

    assert campaign.accent_color == "#1d4ed8"


def admin_data(campaign: Campaign, **changes) -> dict[str, object]:
    data: dict[str, object] = {
        "slug": campaign.slug,
        "title_en": campaign.title_en,
        "statement_en": campaign.statement_en,
        "lead_en": campaign.lead_en or "",
        "organizer_name_en": campaign.organizer_name_en or "",
        "organizer_website": campaign.organizer_website,
        "accent_color": campaign.accent_color,
        "accepts_applications": "on",
        "is_default": "on",
    }
    data.update(changes)
    return data


def test_the_admin_refuses_a_light_accent_next_to_the_field(client, superuser, campaign):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:coalition_campaign_change", args=[campaign.pk]),
        admin_data(campaign, accent_color="#ffd166"),
    )

    assert response.status_code == 200
    assert "#ffd166 is too light to read on the page" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.accent_color == ""


def test_the_admin_refuses_it_in_french_too(client, superuser, campaign):
    client.force_login(superuser)
    client.cookies["coalition_language"] = "fr"

    response = client.post(
        reverse("admin:coalition_campaign_change", args=[campaign.pk]),
        admin_data(campaign, accent_color="#ffd166"),
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert response.status_code == 200
    assert "WCAG AA" in response.content.decode()


def test_the_page_takes_its_accent_from_a_stylesheet_of_its_own(client, branded):
    body = body_of(client.get("/"))

    assert '<link rel="stylesheet" href="/theme/1d4ed8.css">' in body
    assert '<body class="theme-campaign">' in body
    css = client.get("/theme/1d4ed8.css")
    assert css.status_code == 200
    assert css["Content-Type"] == "text/css; charset=utf-8"
    assert "--accent: #1d4ed8;" in css.content.decode()
    assert "immutable" in css["Cache-Control"]


@pytest.mark.parametrize("name", ["ffd166", "1D4ED8", "zzzzzz"])
def test_only_accents_that_pass_the_check_have_a_stylesheet(client, db, name):
    assert client.get(f"/theme/{name}.css").status_code == 404


def test_the_embed_follows_the_campaign_colours_when_asked(client, branded):
    themed = body_of(client.get("/embed/keep-detection/?theme=campaign"))
    plain = body_of(client.get("/embed/keep-detection/"))

    assert 'href="/theme/1d4ed8.css"' in themed
    assert "theme-campaign" in themed
    assert "/theme/" not in plain


def test_the_embed_builder_offers_the_campaign_colours(client, branded):
    body = body_of(client.get("/campaigns/keep-detection/embed/"))

    assert 'value="campaign"' in body
    assert "Campaign colours" in body


# Images through the pipelines, in the admin


def test_an_organizer_logo_uploaded_in_the_admin_goes_through_the_logo_pipeline(
    client, superuser, campaign
):
    client.force_login(superuser)
    upload = SimpleUploadedFile("logo.png", image_bytes(color=(10, 90, 40)), "image/png")

    response = client.post(
        reverse("admin:coalition_campaign_change", args=[campaign.pk]),
        {**admin_data(campaign, organizer_name_en="Organizer"), "organizer_logo_upload": upload},
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    logo = campaign.organizer_logo
    assert logo is not None
    assert re.fullmatch(r"logos/[0-9a-f]{2}/[0-9a-f]{64}-1x\.png", logo.png.name)
    assert Logo.objects.count() == 1


def test_a_file_that_is_not_an_image_is_refused_as_a_logo(client, superuser, campaign):
    client.force_login(superuser)
    upload = SimpleUploadedFile("logo.png", b"not an image", "image/png")

    response = client.post(
        reverse("admin:coalition_campaign_change", args=[campaign.pk]),
        {**admin_data(campaign), "organizer_logo_upload": upload},
    )

    assert response.status_code == 200
    assert "The logo could not be read" in response.content.decode()
    assert Logo.objects.count() == 0


def test_the_logo_can_be_removed(client, superuser, branded):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:coalition_campaign_change", args=[branded.pk]),
        {**admin_data(branded), "remove_organizer_logo": "on"},
    )

    assert response.status_code == 302
    branded.refresh_from_db()
    assert branded.organizer_logo is None


def _photo(size=(2400, 1000), **save) -> bytes:
    image = Image.new("RGB", size, (30, 80, 160))
    Image.new("RGB", (size[0] // 3, size[1] // 3), (240, 200, 40)).copy()
    image.paste((240, 200, 40), (size[0] // 3, size[1] // 3, size[0] // 2, size[1] // 2))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **save)
    return buffer.getvalue()


def test_a_hero_image_is_re_encoded_at_several_widths_without_its_metadata(
    client, superuser, campaign
):
    exif = Image.Exif()
    exif[0x010F] = "Secret Camera Maker"  # Make
    client.force_login(superuser)
    upload = SimpleUploadedFile("hero.jpg", _photo(exif=exif.tobytes()), "image/jpeg")

    response = client.post(
        reverse("admin:coalition_campaign_change", args=[campaign.pk]),
        {**admin_data(campaign), "hero_image_upload": upload},
    )

    assert response.status_code == 302
    hero = HeroImage.objects.get()
    assert hero.widths == [640, 960, 1280, 1920]
    assert (hero.width, hero.height) == (2400, 1000)
    body = body_of(client.get("/"))
    assert 'class="hero-image"' in body
    assert "1920w" in body
    served = client.get(f"/media/{hero.file_name(1280, 'jpg')}")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    content = b"".join(served.streaming_content)
    assert b"Secret Camera Maker" not in content
    with Image.open(io.BytesIO(content)) as decoded:
        assert decoded.size == (1280, 533)
        assert not decoded.getexif()
    assert client.get(f"/media/{hero.file_name(1280, 'webp')}")["Content-Type"] == "image/webp"


def test_a_very_wide_hero_is_cut_to_the_banner_shape(db):
    processed = heroes.process(Image.new("RGB", (4000, 500), "navy"))

    assert processed.image.size == (1600, 500)


def test_a_hero_too_small_for_a_banner_is_refused(client, superuser, campaign):
    client.force_login(superuser)
    upload = SimpleUploadedFile("hero.jpg", _photo(size=(600, 300)), "image/jpeg")

    response = client.post(
        reverse("admin:coalition_campaign_change", args=[campaign.pk]),
        {**admin_data(campaign), "hero_image_upload": upload},
    )

    assert response.status_code == 200
    assert "too small for a banner" in response.content.decode()
    assert HeroImage.objects.count() == 0


def test_names_outside_the_pipelines_are_never_served(client, db):
    assert client.get("/media/heroes/ab/not-a-digest-640w.jpg").status_code == 404
    assert client.get("/media/heroes/../settings.py").status_code == 404


def test_retention_keeps_a_logo_that_a_campaign_shows(branded, make_endorsement, settings):
    # The same picture uploaded by a rejected applicant is the same Logo row.
    rejected = make_endorsement(status=Endorsement.Status.REJECTED)
    rejected.organization.logo = branded.organizer_logo
    rejected.organization.save()
    settings.RETENTION_PERSONAL_DATA_DAYS = 0
    Endorsement.objects.filter(pk=rejected.pk).update(ended_at="2000-01-01T00:00:00Z")

    services.retention_apply()

    branded.refresh_from_db()
    assert branded.organizer_logo is not None
    assert Logo.objects.filter(pk=branded.organizer_logo_id).exists()


# The API


def test_the_api_shows_the_organizer_and_the_lead(client, branded, settings):
    settings.SITE_URL = "https://coalition.example.org"

    detail = client.get("/api/v1/campaigns/keep-detection/").json()
    listing = client.get("/api/v1/campaigns/").json()

    assert detail["lead"] == "Detection finds known abuse material. Keep it legal."
    organizer = detail["organizer"]
    assert organizer["name"] == "Northlight Alliance"
    assert organizer["website"] == "https://northlight.example/"
    assert organizer["logo"]["png"].startswith("https://coalition.example.org/media/logos/")
    assert set(organizer["logo"]) == {"png", "webp", "png_2x", "webp_2x", "width", "height"}
    assert listing == [detail]


def test_the_api_names_the_organizer_in_the_asked_language(client, branded):
    detail = client.get("/api/v1/campaigns/keep-detection/?lang=fr").json()

    assert detail["organizer"]["name"] == "Alliance Northlight"


def test_a_campaign_without_an_organizer_has_none_in_the_api(client, campaign):
    detail = client.get("/api/v1/campaigns/keep-detection/").json()

    assert detail["organizer"] is None
    assert detail["lead"] == ""


# Demo data


def test_the_demo_gives_the_default_campaign_an_organizer_once(db):
    call_command("load_reference_data", stdout=io.StringIO())
    campaign = Campaign.objects.get(is_default=True)

    assert demo_organizer_set(campaign)

    campaign.refresh_from_db()
    assert campaign.organizer_name == "Northlight Alliance for Children Online"
    assert campaign.organizer_logo is not None
    assert colours.page_contrast(colours.parse_hex(campaign.accent_color)) >= 4.5
    assert campaign.lead
    assert campaign.addressee == "To the Members of the European Parliament"


def test_the_demo_never_replaces_an_organizer_someone_chose(db):
    call_command("load_reference_data", stdout=io.StringIO())
    Campaign.objects.filter(is_default=True).update(organizer_name_en="Our own organizer")
    campaign = Campaign.objects.get(is_default=True)

    assert not demo_organizer_set(campaign)

    campaign.refresh_from_db()
    assert campaign.organizer_name == "Our own organizer"
    assert campaign.organizer_logo is None


def test_a_new_install_shows_a_branded_campaign_page(client, db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())

    body = body_of(client.get("/"))

    assert "Northlight Alliance for Children Online" in body
    assert 'class="theme-campaign"' in body
    assert "40 organizations stand together" in body
    assert "Newest to sign on" in body
    assert 'class="world-map"' in body


def test_the_page_links_the_letter_to_print_and_its_pdf(client, branded):
    body = body_of(client.get("/"))

    assert f'href="/campaigns/{branded.slug}/letter/"' in body
    assert f'href="/campaigns/{branded.slug}/letter.pdf"' in body


def test_the_page_is_the_same_bytes_whatever_ref_or_utm_brought_the_visitor(client, branded):
    plain = client.get("/")
    arrived = client.get("/?ref=press-release&utm_source=news%3Cs%3E&fbclid=IwAR1&zz=1")

    # One rendering for all, its links (the languages' alternates too) free of the parameters.
    assert arrived["X-Cache"] == "hit"
    assert arrived.content == plain.content
    body = body_of(plain)
    assert "press-release" not in body_of(arrived)
    # The visitor's browser puts them on Sign on (attribution.js); the form reads them there.
    assert (
        '<a class="button sign-on" href="/apply/" '
        'data-carry="ref utm_source utm_medium utm_campaign utm_content utm_term">'
    ) in body
    assert '<script src="/static/coalition/attribution.js" defer></script>' in body
    form = body_of(client.get("/apply/?ref=press-release&utm_source=news%3Cs%3E"))
    assert 'name="source"' in form
