"""Listening: matching 100,000 incoming posts against 100 keyword queries (target under 5 s), next to a
plain regex loop measured in the same run.

    uv run python benchmarks/listen_speed.py                      # 100,000 posts, 100 queries
    uv run python benchmarks/listen_speed.py --posts 20000        # a quick run

The posts are generated (seeded): French and English sentences with accents, hashtags, punctuation, some
naming the queries' words. The queries have one to three keywords each (words and phrases) and one in
four an exclusion. Both ways fold each post once (lib/listening.py `fold`) and must find the same
matches (checked on the baseline's sample):
- tending's Matcher: one index of every query's first words, each post's words looked up once;
The target is on CPU seconds (the machine is shared: wall time also counts other processes' turns).
- baseline: for each post, each query's compiled regex (its keywords as one \\b...\\b alternation, and
  its exclusions as another), as a plain implementation would. It runs on --baseline-posts posts and is
  scaled to --posts (it grows linearly in posts), so the run stays short.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tending.lib.listening import Matcher, Query, parse_keywords, words

SENTENCE = (
    "le la les un une des et ou mais donc car je tu il elle nous vous ils on est sont a ont avec sans "
    "pour dans sur chez très bien mal vite service commande livraison produit réseau café thé chat "
    "chien école hôpital élève été œuvre garçon français déçu génial problème merci bonjour encore "
    "the a an and or but so because i you he she we they is are was were with without for in on at "
    "very good bad fast slow service order delivery product network coffee tea cat dog school "
    "hospital student summer work boy french disappointed great problem thanks hello again refund "
    "support app update bug crash login password price shop store brand team community forum"
)
VOCABULARY = SENTENCE.split()
BRANDS = [f"marque{n}" for n in range(60)] + [f"brand{n}" for n in range(60)]


def queries(rng: random.Random, count: int) -> list[Query]:
    found = []
    for number in range(count):
        keywords = []
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.4:
                keywords.append(f'"{rng.choice(BRANDS)} {rng.choice(VOCABULARY)}"')
            else:
                keywords.append(rng.choice([*BRANDS, "réseau", "livraison", "café", "refund"]))
        if rng.random() < 0.25:
            keywords.append("-" + rng.choice(VOCABULARY))
        found.append(Query(number + 1, tuple(parse_keywords(keywords))))
    return found


def posts(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        chosen = rng.choices(VOCABULARY, k=rng.randint(8, 40))
        if rng.random() < 0.3:
            chosen.insert(rng.randrange(len(chosen)), rng.choice(BRANDS).capitalize())
        if rng.random() < 0.05:
            chosen.append("#" + rng.choice(BRANDS) + rng.choice(VOCABULARY))
        text = " ".join(chosen)
        out.append(text[0].upper() + text[1:] + rng.choice((".", " !", " ?", "...")))
    return out


def regex_queries(found: list[Query]) -> list[tuple[int, re.Pattern[str], re.Pattern[str] | None]]:
    compiled = []
    for query in found:
        include = [r"\s+".join(t.words) for t in query.include]
        include += ["".join(t.words) for t in query.include if len(t.words) > 1]
        exclude = [r"\s+".join(t.words) for t in query.exclude]
        compiled.append(
            (
                query.id,
                re.compile(r"\b(?:" + "|".join(include) + r")\b"),
                re.compile(r"\b(?:" + "|".join(exclude) + r")\b") if exclude else None,
            )
        )
    return compiled


def baseline(
    texts: list[str], compiled: list[tuple[int, re.Pattern[str], re.Pattern[str] | None]]
) -> list[set[int]]:
    out = []
    for text in texts:
        folded = " ".join(words(text))  # the same folding, punctuation as spaces
        hits = set()
        for qid, include, exclude in compiled:
            if include.search(folded) and not (exclude and exclude.search(folded)):
                hits.add(qid)
        out.append(hits)
    return out


def timed(function, *args):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--baseline-posts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    found = queries(rng, args.queries)
    texts = posts(rng, args.posts)
    matcher = Matcher(found)
    matched, wall, cpu = timed(lambda: [matcher.match(t) for t in texts])
    sample = texts[: args.baseline_posts]
    expected, base_wall, base_cpu = timed(baseline, sample, regex_queries(found))
    agree = all(set(matched[i]) == expected[i] for i in range(len(sample)))
    scale = args.posts / max(len(sample), 1)
    hits = sum(1 for m in matched if m)
    print(
        f"{args.posts:,} posts against {args.queries} queries ({hits:,} posts matched one or more)"
    )
    print(f"  tending Matcher:    {wall:6.2f} s wall, {cpu:6.2f} s CPU  (target: CPU under 5 s)")
    print(
        f"  plain regex loop:   {base_wall * scale:6.2f} s wall, {base_cpu * scale:6.2f} s CPU  "
        f"(measured on {len(sample):,} posts: {base_wall:.2f} s, scaled x{scale:g})"
    )
    print(
        f"  ratio: the regex loop takes {base_cpu * scale / max(cpu, 1e-9):.1f}x the Matcher's CPU"
    )
    print(f"  same matches on the sample: {'yes' if agree else 'NO'}")
    if not agree or cpu >= 5.0:
        sys.exit(1)


if __name__ == "__main__":
    main()
