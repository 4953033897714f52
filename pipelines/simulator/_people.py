"""Synthetic Kenyan people: names, national ids, phones, emails, households."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Person", "make_people"]

FIRST_NAMES_F = (
    "Wanjiru", "Achieng", "Njeri", "Chebet", "Akinyi", "Nekesa", "Muthoni", "Jeptoo", "Nyambura", "Wambui",
    "Atieno", "Wairimu", "Moraa", "Kerubo", "Naliaka", "Faith", "Grace", "Mercy", "Esther", "Joy",
)  # fmt: skip
FIRST_NAMES_M = (
    "Otieno", "Kamau", "Mwangi", "Kiprono", "Omondi", "Wafula", "Mutua", "Kipchoge", "Barasa", "Odhiambo",
    "Kiptoo", "Njoroge", "Ochieng", "Maina", "Kibet", "Brian", "Kevin", "Dennis", "Peter", "James",
)  # fmt: skip
LAST_NAMES = (
    "Kamau", "Otieno", "Mwangi", "Wanjiku", "Ochieng", "Kiprotich", "Mutiso", "Njoroge", "Odhiambo",
    "Chepkoech", "Wekesa", "Kariuki", "Onyango", "Korir", "Muriuki", "Nyaga", "Owino", "Gitau", "Rotich",
    "Mbugua", "Okoth", "Kimani", "Langat", "Nduta", "Ruto", "Macharia", "Awuor", "Simiyu", "Kilonzo",
    "Muthama",
)  # fmt: skip
CITIES = (
    "Nairobi",
    "Mombasa",
    "Kisumu",
    "Nakuru",
    "Eldoret",
    "Thika",
    "Machakos",
    "Nyeri",
    "Kakamega",
    "Kericho",
)
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "wekeza.co.ke", "safaricom.co.ke")


@dataclass(frozen=True, slots=True)
class Person:
    person_id: str
    first_name: str
    middle_name: str | None
    last_name: str
    gender: str
    date_of_birth: date
    national_id: str
    phone_local: str  # 07XXXXXXXX / 01XXXXXXXX as the person writes it
    email: str
    city: str
    household_id: str


def _phone(rng: random.Random) -> str:
    prefix = rng.choice(("070", "071", "072", "074", "079", "011", "075"))
    return prefix + "".join(rng.choice("0123456789") for _ in range(7))


def make_people(n: int, rng: random.Random, household_share: float = 0.08) -> list[Person]:
    """``n`` distinct people; a share of them live in households sharing one phone number."""
    people: list[Person] = []
    used_ids: set[str] = set()
    used_emails: set[str] = set()
    household_phone: dict[str, str] = {}
    for i in range(n):
        gender = rng.choice("FM")
        first = rng.choice(FIRST_NAMES_F if gender == "F" else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        middle = rng.choice(FIRST_NAMES_F if gender == "F" else FIRST_NAMES_M) if rng.random() < 0.4 else None
        while True:
            nid = str(rng.randint(10_000_000, 39_999_999))
            if nid not in used_ids:
                used_ids.add(nid)
                break
        base = f"{first}.{last}".lower()
        email = f"{base}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"
        while email in used_emails:
            email = f"{base}{rng.randint(1000, 99999)}@{rng.choice(EMAIL_DOMAINS)}"
        used_emails.add(email)
        # households: a person may join the previous person's household and share its phone
        if people and rng.random() < household_share:
            household = people[-1].household_id
            last = people[-1].last_name
            phone = household_phone[household]
        else:
            household = f"H{i:06d}"
            phone = _phone(rng)
            household_phone[household] = phone
        dob = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55))
        people.append(
            Person(
                person_id=f"P{i:07d}",
                first_name=first,
                middle_name=middle,
                last_name=last,
                gender=gender,
                date_of_birth=dob,
                national_id=nid,
                phone_local=phone,
                email=email,
                city=rng.choice(CITIES),
                household_id=household,
            )
        )
    return people
