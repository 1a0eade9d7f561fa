"""Fill a development database with about forty fictional, approved organizations.

Every name, person and website here is invented; websites use the reserved ``.example`` top-level
domain so none can ever be real. Logos are drawn here and go through the same pipeline as
uploads. Running it again adds nothing: organizations are keyed on their domain.
"""

from __future__ import annotations

import colorsys
import io
import random
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image, ImageDraw, ImageFont

from coalition import services
from coalition.images import logos
from coalition.jobs.services import mail_suppressed
from coalition.models import (
    Campaign,
    Organization,
    Sector,
    registrable_domain,
)

SEED = "coalition-demo"
NOTE = "Demo data"

# The default campaign's fictional organizer, so that a new installation shows a branded
# campaign page at once. Set only where the campaign has no organizer yet.
DEMO_ORGANIZER = {
    "organizer_name_en": "Northlight Alliance for Children Online",
    "organizer_name_fr": "Alliance Northlight pour les enfants en ligne",
    "organizer_name_de": "Northlight-Allianz für Kinder im Netz",
    "organizer_website": "https://www.northlight-alliance.example/",
    "accent_color": "#1d4ed8",
    "lead_en": (
        "Services that find known child sexual abuse material today may soon have to stop. "
        "We ask lawmakers to keep voluntary detection legal until a permanent framework applies."
    ),
    "lead_fr": (
        "Les services qui repèrent aujourd’hui des contenus connus d’abus sexuels sur enfants "
        "pourraient bientôt devoir s’arrêter. Nous demandons aux législateurs de maintenir la "
        "détection volontaire jusqu’à l’entrée en vigueur d’un cadre permanent."
    ),
    "lead_de": (
        "Dienste, die heute bekannte Darstellungen sexuellen Kindesmissbrauchs finden, müssen "
        "damit womöglich bald aufhören. Wir fordern den Gesetzgeber auf, die freiwillige "
        "Erkennung zu erlauben, bis ein dauerhafter Rahmen gilt."
    ),
    "addressee_en": "To the Members of the European Parliament",
    "addressee_fr": "Aux députés du Parlement européen",
    "addressee_de": "An die Mitglieder des Europäischen Parlaments",
}


@dataclass(frozen=True)
class DemoOrganization:
    name: str
    domain_label: str
    country: str
    sector: str
    statement: str = ""

    @property
    def website(self) -> str:
        return f"https://www.{self.domain_label}.example/"


ORGANIZATIONS = (
    DemoOrganization(
        "Harbor Light Children's Trust",
        "harbor-light",
        "IE",
        "child-protection-ngo",
        "Every report of known abuse material is a child who can still be found.",
    ),
    DemoOrganization("Lantern Bridge Child Helpline", "lantern-bridge", "NL", "child-helpline"),
    DemoOrganization("Bluefern Reporting Point", "bluefern", "FI", "reporting-hotline"),
    DemoOrganization(
        "Kestrel Voices Survivors' Network",
        "kestrel-voices",
        "DE",
        "survivor-led-organization",
        "Survivors should not have to see their abuse shared again and again.",
    ),
    DemoOrganization(
        "Still Water Survivors Collective", "still-water", "ES", "survivor-led-organization"
    ),
    DemoOrganization("Meadowgate Civic Forum", "meadowgate", "BE", "other-civil-society"),
    DemoOrganization("Parents' Circle of Valdora", "valdora-parents", "IT", "other-civil-society"),
    DemoOrganization("Quillpost Messaging", "quillpost", "SE", "messaging-service"),
    DemoOrganization("Tidewren Chat", "tidewren", "PL", "messaging-service"),
    DemoOrganization("Cumulo Harbour Hosting", "cumulo-harbour", "NL", "cloud-and-hosting"),
    DemoOrganization("Fernbyte Cloud", "fernbyte", "DE", "cloud-and-hosting"),
    DemoOrganization("Plazaloop", "plazaloop", "FR", "online-platform"),
    DemoOrganization("Brightweave Safety Labs", "brightweave", "DK", "safety-technology"),
    DemoOrganization("Hashward Technologies", "hashward", "AT", "safety-technology"),
    DemoOrganization("Orrin & Vale Software", "orrin-vale", "CZ", "technology-company"),
    DemoOrganization(
        "Guild of Independent Web Hosts", "web-hosts-guild", "BE", "industry-association"
    ),
    DemoOrganization("Northern Digital Trade Council", "ndtc", "SE", "industry-association"),
    DemoOrganization(
        "Office for Child Wellbeing, Region of Solmar", "solmar-region", "ES", "government-body"
    ),
    DemoOrganization("Valdora Municipal Youth Office", "valdora-youth", "IT", "government-body"),
    DemoOrganization(
        "Riverside District Police, Child Protection Unit",
        "riverside-police",
        "IE",
        "law-enforcement",
    ),
    DemoOrganization(
        "Coastal Police Digital Investigations Team", "coastal-police", "PT", "law-enforcement"
    ),
    DemoOrganization(
        "Intergovernmental Forum for Children Online",
        "ifco",
        "LU",
        "international-organization",
    ),
    DemoOrganization(
        "Council of Twelve Harbours for Child Safety",
        "twelve-harbours",
        "AT",
        "international-organization",
    ),
    DemoOrganization(
        "Larkhaven University Centre for Child Safety Research",
        "larkhaven-university",
        "NL",
        "academic-or-research",
    ),
    DemoOrganization(
        "Grayfield Institute for Online Harm Studies",
        "grayfield-institute",
        "DK",
        "academic-or-research",
    ),
    DemoOrganization(
        "Fellowship of the Open Door", "open-door-fellowship", "PL", "faith-based-organization"
    ),
    DemoOrganization(
        "Interfaith Circle for Children", "interfaith-circle", "GR", "faith-based-organization"
    ),
    DemoOrganization(
        "Association of Child Psychologists of Solmar",
        "solmar-psychologists",
        "ES",
        "medical-and-psychological",
    ),
    DemoOrganization(
        "Paediatric Nurses' Guild of the Lowlands",
        "lowlands-nurses",
        "BE",
        "medical-and-psychological",
    ),
    DemoOrganization(
        "Lawyers for Children's Digital Rights",
        "lawyers-for-children",
        "FR",
        "legal-professions",
        "The law should let services keep finding known abuse material.",
    ),
    DemoOrganization(
        "Union of Primary Teachers of Valdora", "valdora-teachers", "IT", "education-professions"
    ),
    DemoOrganization("Sentinel Oak Parents' Initiative", "sentinel-oak", "RO", "other"),
    DemoOrganization("Small Steps Sports Clubs Federation", "small-steps", "FI", "other"),
    DemoOrganization(
        "Bright Harbour Youth Centres", "bright-harbour", "GR", "child-protection-ngo"
    ),
    DemoOrganization(
        "Willowmere Foundation for Children", "willowmere", "PT", "child-protection-ngo"
    ),
    DemoOrganization("Cobalt Kite Children's Rights", "cobalt-kite", "RO", "child-protection-ngo"),
    DemoOrganization("Ninefold Social", "ninefold", "IE", "online-platform"),
    DemoOrganization("Pinecrest Gaming Studio", "pinecrest-gaming", "CZ", "online-platform"),
    DemoOrganization("Tessellate Victim Support", "tessellate", "DE", "victim-support-service"),
    DemoOrganization(
        "Alderbrook Digital Literacy Trust", "alderbrook", "LU", "other-civil-society"
    ),
)

FIRST_NAMES = (
    "Ada", "Bram", "Clara", "Dario", "Elin", "Farah", "Gustav", "Hana", "Iris", "Jonas",
    "Katja", "Luca", "Maren", "Nils", "Oona", "Pavel", "Rosa", "Soren", "Tilde", "Viktor",
)  # fmt: skip
LAST_NAMES = (
    "Albers", "Brenner", "Castell", "Dovik", "Eskola", "Ferrand", "Galvan", "Holm", "Ivers",
    "Janek", "Kovar", "Lindqvist", "Moreau", "Novak", "Ostend", "Pires", "Quist", "Rinaldi",
)  # fmt: skip
ROLES = ("Director", "Executive Director", "Head of Policy", "Chair", "Head of Trust and Safety")
LANGUAGES = ("en", "en", "fr", "de")
SHAPES = ("circle", "square", "rounded", "diamond", "triangle", "ring")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _initials(name: str) -> str:
    words = [word for word in name.replace("'", "").split() if word[:1].isupper()]
    return "".join(word[0] for word in words)[:3] or name[:1].upper()


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError, ValueError):
        # Pillow without FreeType only has the small bitmap font.
        return ImageFont.load_default()


def rng_for(spec: DemoOrganization) -> random.Random:
    # One generator per organization: its logo and contact stay the same from run to run,
    # whichever other organizations already exist.
    return random.Random(f"{SEED}:{spec.domain_label}")  # noqa: S311 - not a secret


def draw_logo(name: str, rng: random.Random) -> bytes:
    """A made-up logo: a coloured shape with the initials, and the first word beside it."""
    red, green, blue = colorsys.hsv_to_rgb(
        rng.random(), rng.uniform(0.55, 0.9), rng.uniform(0.45, 0.8)
    )
    colour = (round(red * 255), round(green * 255), round(blue * 255), 255)
    transparent = rng.random() < 0.35
    width, height = rng.choice(((640, 280), (600, 300), (520, 360), (400, 400)))
    image = Image.new(
        "RGBA", (width, height), (0, 0, 0, 0) if transparent else (255, 255, 255, 255)
    )
    draw = ImageDraw.Draw(image)

    side = min(height, width // 2) - 40
    left, top = 20, (height - side) // 2
    box = (left, top, left + side, top + side)
    shape = rng.choice(SHAPES)
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    elif shape == "rounded":
        draw.rounded_rectangle(box, radius=side // 5, fill=colour)
    elif shape == "diamond":
        middle_x, middle_y = left + side // 2, top + side // 2
        draw.polygon(
            [(middle_x, top), (left + side, middle_y), (middle_x, top + side), (left, middle_y)],
            fill=colour,
        )
    elif shape == "triangle":
        draw.polygon(
            [(left + side // 2, top), (left + side, top + side), (left, top + side)], fill=colour
        )
    else:
        draw.ellipse(box, outline=colour, width=max(6, side // 10))

    initials = _initials(name)
    ink = colour if shape == "ring" else (255, 255, 255, 255)
    font = _font(max(18, side // (len(initials) + 1)))
    centre = (left + side // 2, top + side * 3 // 5 if shape == "triangle" else top + side // 2)
    draw.text(centre, initials, fill=ink, font=font, anchor="mm")

    word = name.split()[0].strip(",'")
    word_left = left + side + 24
    room = width - word_left - 20
    size = side // 4
    font = _font(size)
    while size > 12 and draw.textlength(word, font=font) > room:
        size -= 2
        font = _font(size)
    draw.text((word_left, height // 2), word, fill=colour, font=font, anchor="lm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def demo_organizer_set(campaign: Campaign) -> bool:
    """Give ``campaign`` the demo organizer, with a logo from the pipeline, unless it has an
    organizer already (someone's own, or the demo's from an earlier run). True when it did."""
    if campaign.organizer_name:
        return False
    for field, value in DEMO_ORGANIZER.items():
        setattr(campaign, field, value)
    rng = random.Random(f"{SEED}:organizer")  # noqa: S311 - not a secret
    logo_png = draw_logo(DEMO_ORGANIZER["organizer_name_en"], rng)
    logo = logos.process(logos.validate_and_open(io.BytesIO(logo_png)))
    campaign.full_clean()
    services.campaign_save(campaign=campaign, organizer_logo=logo)
    return True


class Command(BaseCommand):
    help = "Add about forty fictional approved organizations to the default campaign."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though DEBUG is off (never do this on a public site).",
        )

    def handle(self, *args, force: bool, **options) -> None:
        if not settings.DEBUG and not force:
            # ``make run`` calls this; a deployment that runs it by mistake must not end up
            # with invented organizations on its public wall.
            self.stdout.write("Demo data: skipped because DEBUG is off (use --force to seed).")
            return
        call_command("load_reference_data", stdout=io.StringIO())
        campaign = Campaign.objects.get(is_default=True)
        if demo_organizer_set(campaign):
            self.stdout.write(f"Demo data: {campaign.organizer_name} set as the organizer")
        sectors = {sector.slug: sector for sector in Sector.objects.all()}
        created = present = 0
        for index, spec in enumerate(ORGANIZATIONS):
            if Organization.objects.filter(domain=registrable_domain(spec.website)).exists():
                present += 1
                continue
            rng = rng_for(spec)
            logo_png = draw_logo(spec.name, rng)
            person = (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
            self._create(
                spec=spec,
                campaign=campaign,
                sector=sectors[spec.sector],
                logo_png=logo_png,
                person=person,
                role=ROLES[index % len(ROLES)],
                language=LANGUAGES[index % len(LANGUAGES)],
            )
            created += 1
        self.stdout.write(f"Demo data: {created} organizations created, {present} already present")

    @staticmethod
    def _create(
        *,
        spec: DemoOrganization,
        campaign: Campaign,
        sector: Sector,
        logo_png: bytes,
        person: tuple[str, str],
        role: str,
        language: str,
    ) -> None:
        # The same path as a real application (apply, confirm, approve), so demo rows look like
        # real ones, audit trail included.
        processed = logos.process(logos.validate_and_open(io.BytesIO(logo_png)))
        # The people are invented and no reviewer needs to look at demo data: no mail at all.
        with transaction.atomic(), mail_suppressed():
            endorsement, _mail = services.endorsement_apply(
                campaign=campaign,
                name=spec.name,
                website=spec.website,
                country=spec.country,
                sector=sector,
                logo=processed,
                contact_name=f"{person[0]} {person[1]}",
                contact_role=role,
                contact_email=(
                    f"{_ascii(person[0])}.{_ascii(person[1])}@{registrable_domain(spec.website)}"
                ),
                preferred_language=language,
                consent_authority=True,
                consent_publish=True,
                statement=spec.statement,
            )
            services.endorsement_confirm(endorsement=endorsement)
            # No reviewer decides on demo data; the audit note says where the approval came from.
            # The organizations are invented: whatever the evidence would have a reviewer check
            # (one name like another) is acknowledged, with that note.
            services.endorsement_approve(
                endorsement=endorsement, by=None, note=NOTE, acknowledged=True
            )
