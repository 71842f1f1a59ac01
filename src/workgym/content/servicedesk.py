"""Service desk content: request categories and their mails, impact phrases, knowledge
base articles and the questions they answer, and the mail a desk leaves alone
(newsletters, marketing, phishing, automatic replies).

Every request topic belongs to one category and says so plainly; impact phrases name
one priority each, so a triage policy over them has one right reading.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str
    project: str
    """The tracker project's key."""
    label: str
    covers: str
    """What belongs here, as the policy puts it."""
    owner: str
    """``role:<role>`` (that role at the sender's office) or ``named`` (a named person)."""


CATEGORIES = (
    Category("Access", "ACC", "access", "accounts, passwords and the password manager, the "
             "VPN, permissions, shared drives and licences", "named"),
    Category("Hardware", "HW", "hardware", "laptops, monitors, docks, headsets, printers and "
             "other devices: broken, needed or to set up", "role:IT technician"),
    Category("Facilities", "FAC", "facilities", "desks, chairs, badges, heating, lighting, "
             "meeting rooms, visitors and the guest Wi-Fi", "role:Facilities coordinator"),
    Category("Software", "APP", "software", "the company's tools and apps (mail, calendar, "
             "expenses, the CRM and the rest): errors, crashes, slowness and how to use "
             "them", "named"),
)
SYSTEMS = ("Payroll", "the CRM", "Jira", "the expense tool", "the HR portal", ("the data "
           "warehouse"), "GitLab", "the travel portal")
SHARES = ("Finance", "Legal", "Marketing", "Board", "Design assets", "Sales ops")
TOOLS = ("the expense tool", "the CRM", "the booking app", "the HR portal",
         "the reporting dashboard", "the travel portal", "the intranet search")
ROOMS = ("the third-floor kitchen", "meeting room Cedar", "meeting room Fjord",
         "the north wing", "the open-plan area on 2", "meeting room Orchid")

REQUESTS: dict[str, tuple[tuple[str, str], ...]] = {
    "Access": (
        ("Locked out of {system}", ("my account for {system} is locked since the password "
         "change this morning.")),
        ("Access to the {share} shared drive", ("could you give me access to the {share} "
         "shared drive? My manager has approved it.")),
        ("Missing permissions in {system}", ("I can log in to {system} but the approve "
         "button is greyed out for me.")),
        ("{system} licence for a new joiner", ("a new colleague starts on Monday and needs "
         "a {system} licence.")),
    ),
    "Hardware": (
        ("Laptop will not start ({n})", ("my laptop shows a black screen and won't start "
         "since this morning (asset tag {n}).")),
        ("Second monitor for desk {n}", "could I get a second monitor for desk {n}?"),
        ("Headset broken ({n})", "the microphone of my headset stopped working (asset {n})."),
        ("Docking station not detected at desk {n}", ("my laptop no longer detects the "
         "docking station at desk {n}.")),
    ),
    "Facilities": (
        ("Badge does not open floor {n}", "my badge stopped opening the doors on floor {n}."),
        ("Broken chair at desk {n}", "the chair at desk {n} has a broken backrest."),
        ("Heating not working in {room}", "the heating in {room} is off and it's cold."),
        ("Lights flickering in {room}", "the lights in {room} keep flickering."),
    ),
    "Software": (
        ("{tool} crashes on export", "{tool} crashes every time I export a report."),
        ("Error 500 in {tool}", "{tool} shows an error 500 when I save."),
        ("{tool} very slow since the update", ("{tool} takes minutes to load since the last "
         "update.")),
        ("Cannot upload files to {tool}", "uploads to {tool} fail with 'network error'."),
    ),
}
"""Per category: (subject, what the sender writes), with ``{system}``, ``{share}``,
``{tool}``, ``{room}`` and ``{n}`` to fill."""

IMPACT = {
    "urgent": ("Because of this nobody in the {team} team can work.",
               "This is an outage for everyone in the {office} office; nobody can work."),
    "high": ("I can't do any work until this is fixed.",
             "This blocks my work completely."),
    "medium": ("I can work around it for now, but please have a look.",
               "It's annoying, though I can still get things done."),
    "low": ("No rush at all, whenever you get to it.",
            "Not urgent; any time in the next weeks is fine."),
}
"""Phrases of the impact a sender describes, one priority each."""
LEVELS = ("low", "medium", "high", "urgent")
MEETING_ASKS = ("Could we set up a short call to go through it?",
                "Can we have a quick meeting about this?")
VIP_ROLES = ("Sales Director", "Director of Finance", "VP of Marketing",
             "Vice President, Operations", "Director of Legal")
STAFF_ROLES = ("Account manager", "Analyst", "Accountant", "Marketing specialist",
               "Engineer", "Designer", "Recruiter", "Office manager", "Buyer", "Lawyer")
TEAMS = ("Sales", "Finance", "Marketing", "Operations", "Legal", "Engineering", "People")


@dataclass(frozen=True)
class Article:
    topic: str
    """What it explains, as the policy lists it."""
    category: str
    """The category a question about it falls in when no article covers it."""
    question: tuple[str, str]
    """(subject, body) of a question it answers."""


ARTICLES = (
    Article("Connecting to the VPN from home", "Access",
            ("How do I use the VPN at home?", ("how do I connect to the VPN from home? "
             "Is there a guide somewhere?"))),
    Article("Installing a printer", "Hardware",
            ("Adding the office printer", "how do I add the office printer to my laptop?")),
    Article("Sharing your calendar", "Software",
            ("Calendar sharing question", ("how can I share my calendar with my "
             "assistant?"))),
    Article("Guest Wi-Fi for visitors", "Facilities",
            ("Wi-Fi for a visitor", ("how do visitors get on the guest Wi-Fi? I have a "
             "client coming in."))),
    Article("Setting up the password manager", "Access",
            ("Password manager setup", ("how do I set up the company password manager on "
             "my phone?"))),
    Article("Booking a meeting room", "Facilities",
            ("How to book a room", "how do I book a meeting room for next week?")),
    Article("Submitting an expense claim", "Software",
            ("Expense claim how-to", ("how do I submit an expense claim with a foreign "
             "receipt?"))),
    Article("Changing your mail signature", "Software",
            ("Mail signature", "how do I change my mail signature to the new logo?")),
)

JUNK = (
    ("newsletter", "Your weekly {vendor} digest", ("This week at {vendor}: five product "
     "updates, a customer story and our webinar schedule.\n\nUnsubscribe | Manage "
     "preferences")),
    ("newsletter", "{vendor} product news: {month} edition", ("New features this month, "
     "tips from our experts and upcoming events.\n\nYou receive this because you signed "
     "up at {vendor}. Unsubscribe.")),
    ("marketing", "Last chance: 40% off {vendor} Pro", ("Upgrade today and save 40% on "
     "your first year. Offer ends Friday.\n\nUnsubscribe")),
    ("phishing", "Action required: verify your mailbox password", ("Your mailbox is full "
     "and will be closed in 24 hours. Verify your password at the link below to keep "
     "it.\n\nIT Support Team")),
    ("phishing", "Invoice {n} overdue", ("Please find the overdue invoice {n} in the "
     "attached link and pay today to avoid a penalty.")),
    ("marketing", "You're invited: {vendor} Summit", ("Join 2,000 leaders at the {vendor} "
     "Summit. Early-bird seats are limited!\n\nUnsubscribe")),
)
"""(kind, subject, body) of mail the desk leaves alone, ``{vendor}``, ``{month}`` and
``{n}`` to fill."""
VENDORS = ("Cloudly", "Datanest", "Paperflow", "Brightdesk", "Sellwise", "Tallyho")


def draw(rng: random.Random) -> dict[str, str]:
    """One drawing of every placeholder, so a subject and its body agree."""
    return {"system": rng.choice(SYSTEMS), "share": rng.choice(SHARES),
            "tool": rng.choice(TOOLS), "room": rng.choice(ROOMS),
            "n": str(rng.randint(100, 999)), "vendor": rng.choice(VENDORS),
            "month": rng.choice(("March", "June", "September", "November"))}


def subject(text: str, values: dict[str, str]) -> str:
    """A subject line: the template filled, its first letter upper-case."""
    out = text.format(**values)
    return out[0].upper() + out[1:]
