"""Who is in the demo community and how active each person is: vectors drawn once from the seed.

Members are numbered in join order (0 = the first to join). Staff and bots are the founders (day 0);
everyone else joins along a growth curve. Each person gets a role and a rate of activity per day; the
rates are heavy-tailed (lognormal), so most members never contribute while a few post every day.
See docs/demo.md for the figures and why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tending.demo import texts

HISTORY_DAYS = 730
BOTS = 2  # 0: the welcome bot, 1: the weekly reminder bot

# roles
STAFF, BOT, MEMBER, SPAMMER = 0, 1, 2, 3

SPAMMER_SHARE = 0.015
CONTRIBUTOR_SHARE = 0.19  # of ordinary members; the others only read, and some of them react
REACTOR_SHARE = 0.35  # of non-contributors: lurkers who leave a reaction now and then
PROMO_SHARE = 0.06  # of contributors: their introduction advertises their business
LEAVE_SHARE = 0.10
QUIET_SHARE = 0.30  # of contributors: regulars whose rhythm drops at some point
QUIET_FACTOR = 0.05  # their rate for QUIET_FADE_DAYS after the drop; then silence
QUIET_FADE_DAYS = 60
GROWTH = 1.6  # join density grows like exp(GROWTH * t / HISTORY_DAYS)
# contributions per day for contributors: lognormal; mean exp(MU + SIGMA²/2) ≈ 0.2/day, median ≈ 0.03/day
CONTRIB_MU = -3.6
CONTRIB_SIGMA = 2.0
MAX_RATE = 12.0
SPAM_DAYS = 2
SPAM_RATE = 3.0


def staff_count(members: int) -> int:
    return min(50, max(3, members // 400))


@dataclass
class Population:
    """Per-member vectors (index = member number, in join order)."""

    size: int
    staff: int
    role: np.ndarray  # int8
    lang: list[str]
    first_name: np.ndarray  # index into texts.FIRST_NAMES[lang]
    initial: np.ndarray
    join_day: np.ndarray  # int32, day of the history the member joined
    leave_day: np.ndarray  # int32, HISTORY_DAYS when the member never leaves
    stop_day: (
        np.ndarray
    )  # int32, first day without activity (the leave day, or a spammer's last day + 1)
    quiet_day: np.ndarray  # int32, HISTORY_DAYS when the member never goes quiet
    contrib_rate: np.ndarray  # float64, contributions per day while active
    react_rate: np.ndarray  # float64, reactions per day while active
    promo: np.ndarray  # bool: the member's introduction is self-promotion

    def name(self, i: int) -> str:
        lang = self.lang[i]
        if self.role[i] == BOT:
            return ("Bienvenue-Bot", "Rappel-Bot")[i - self.staff]
        first = texts.FIRST_NAMES[lang][int(self.first_name[i]) % len(texts.FIRST_NAMES[lang])]
        return f"{first} {texts.LAST_INITIALS[int(self.initial[i])]}."

    def handle(self, i: int) -> str:
        if self.role[i] == BOT:
            return ("welcome_bot", "reminder_bot")[i - self.staff]
        base = (
            self.name(i).split(" ")[0].lower().replace("é", "e").replace("è", "e").replace("ë", "e")
        )
        return f"{base.replace('-', '')}{i}"


def draw_population(rng: np.random.Generator, size: int) -> Population:
    staff = staff_count(size)
    founders = staff + BOTS
    others = size - founders
    role = np.full(size, MEMBER, dtype=np.int8)
    role[:staff] = STAFF
    role[staff:founders] = BOT
    # growth: inverse of the CDF of a density growing like exp(GROWTH t)
    u = rng.random(others)
    joins = np.floor(HISTORY_DAYS * np.log1p(u * math.expm1(GROWTH)) / GROWTH).astype(np.int32)
    joins.sort()
    join_day = np.concatenate(
        [np.zeros(founders, dtype=np.int32), np.minimum(joins, HISTORY_DAYS - 1)]
    )

    kind = rng.random(size)
    role[founders:][kind[founders:] < SPAMMER_SHARE] = SPAMMER
    ordinary = role == MEMBER
    contributor = ordinary & (rng.random(size) < CONTRIBUTOR_SHARE)
    reactor = ordinary & ~contributor & (rng.random(size) < REACTOR_SHARE)

    contrib_rate = np.zeros(size)
    react_rate = np.zeros(size)
    contrib_rate[contributor] = np.minimum(
        MAX_RATE, rng.lognormal(CONTRIB_MU, CONTRIB_SIGMA, contributor.sum())
    )
    react_rate[contributor] = contrib_rate[contributor] * rng.uniform(0.3, 1.5, contributor.sum())
    react_rate[reactor] = np.minimum(2.0, rng.lognormal(math.log(0.02), 1.0, reactor.sum()))
    contrib_rate[:staff] = rng.uniform(0.4, 1.2, staff)
    react_rate[:staff] = rng.uniform(0.3, 1.0, staff)
    contrib_rate[role == SPAMMER] = SPAM_RATE

    leave_day = np.full(size, HISTORY_DAYS, dtype=np.int32)
    leaving = ordinary & (rng.random(size) < LEAVE_SHARE)
    after = join_day + 1 + rng.exponential(200.0, size).astype(np.int32)
    leave_day[leaving] = np.minimum(HISTORY_DAYS, after[leaving])
    spammer = role == SPAMMER
    quiet_day = np.full(size, HISTORY_DAYS, dtype=np.int32)
    going_quiet = contributor & (rng.random(size) < QUIET_SHARE)
    start = join_day + 30
    quiet_at = start + (rng.random(size) * np.maximum(1, HISTORY_DAYS - start)).astype(np.int32)
    quiet_day[going_quiet] = np.minimum(HISTORY_DAYS, quiet_at[going_quiet])
    # spammers post for a couple of days and vanish (their accounts stay in the export)
    stop_day = leave_day.copy()
    stop_day[spammer] = np.minimum(HISTORY_DAYS, join_day[spammer] + 1 + SPAM_DAYS)

    is_fr = rng.random(size) < 0.55
    lang = ["fr" if f else "en" for f in is_fr.tolist()]
    promo = contributor & (rng.random(size) < PROMO_SHARE)
    return Population(
        size=size,
        staff=staff,
        role=role,
        lang=lang,
        first_name=rng.integers(0, 1000, size, dtype=np.int16),
        initial=rng.integers(0, len(texts.LAST_INITIALS), size, dtype=np.int8),
        join_day=join_day,
        leave_day=leave_day,
        stop_day=stop_day,
        quiet_day=quiet_day,
        contrib_rate=contrib_rate,
        react_rate=react_rate,
        promo=promo,
    )
