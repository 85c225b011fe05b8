"""Near-duplicate text (MinHash/LSH) and image (dHash) detection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from tending.moderation import reposts
from tending.moderation.text import normalise

ADA_TEXT = (
    "Bonjour à tous, je cherche un vétérinaire spécialisé pour mon chat diabétique "
    "dans la région de Lyon, vous avez des adresses à conseiller ?"
)
BRUNO_COPY = (
    "bonjour a tous je cherche un veterinaire specialise pour mon chat diabetique "
    "dans la region de Lyon, vous avez des adresses à conseiller ???"
)
CHLOE_OTHER = "Quelqu'un a testé la nouvelle insuline pour chiens ? Mon vétérinaire hésite encore et moi aussi."


def _find(texts: list[str]) -> list[reposts.Match]:
    signatures, kept = reposts.minhash_batch(texts)
    occurred = np.arange(len(kept), dtype=np.int64) * 1_000_000
    ids = np.array(kept, dtype=np.int64) + 100
    return reposts.find_text_reposts(signatures, occurred, ids, np.arange(len(kept)))


def test_a_near_copy_is_found_with_its_earlier_copy() -> None:
    matches = _find([ADA_TEXT, CHLOE_OTHER, BRUNO_COPY])
    assert [(m.index, m.earlier) for m in matches] == [(2, 0)]
    assert matches[0].similarity >= reposts.MIN_SIMILARITY


def test_different_texts_and_short_texts_are_not_reposts() -> None:
    assert _find([ADA_TEXT, CHLOE_OTHER]) == []
    signatures, kept = reposts.minhash_batch(["merci !", "merci !"])
    assert len(kept) == 0 and signatures.shape == (0, reposts.NUM_PERM)


def test_the_earliest_copy_is_the_one_cited() -> None:
    third = ADA_TEXT.replace("Lyon", "Lyon ou Villeurbanne")
    matches = _find([ADA_TEXT, BRUNO_COPY, third])
    assert {(m.index, m.earlier) for m in matches} == {(1, 0), (2, 0)}


AD = (
    "Vous cherchez des croquettes pour chat diabétique moins chères ? Notre boutique livre partout "
    "en France, code BIENVENUE pour 10 % de remise sur la première commande."
)
THANKS = "Merci beaucoup à tous pour vos conseils !"
NEW_YEAR = "Bonne année à tous les poilus du forum !"


def _flagged(posts: list[tuple[str, str, str]]) -> list[tuple[int, int]]:
    """(member, kind, text) in time order -> (later, earlier) of the reposts worth a queue item."""
    names = sorted({member for member, _kind, _text in posts})
    signatures, kept = reposts.minhash_batch([text for _m, _k, text in posts])
    members = np.array([names.index(posts[i][0]) for i in kept], dtype=np.int64)
    occurred = np.array(kept, dtype=np.int64) * 604_800_000_000  # one a week
    matches = reposts.find_text_reposts(
        signatures, occurred, np.array(kept, dtype=np.int64) + 100, np.arange(len(kept)), members
    )
    out = []
    for m in matches:
        later, earlier = int(kept[m.index]), int(kept[m.earlier])
        member, kind, text = posts[later]
        if reposts.worth_flagging(
            same_member=member == posts[earlier][0],
            kind=kind,
            tokens=len(normalise(text).split()),
            authors=m.authors,
            similarity=m.similarity,
        ):
            out.append((later, earlier))
    return out


def test_a_member_posting_the_same_ad_every_week_is_flagged_each_time() -> None:
    weekly = [("bruno", "post", AD)] * 4
    assert _flagged(weekly) == [(1, 0), (2, 0), (3, 0)]


def test_five_members_thanking_the_forum_alike_is_conversation() -> None:
    thanks = [
        (name, kind, THANKS)
        for name in ("ada", "bruno", "chloe", "dede", "elise")
        for kind in ("reply", "post")
    ]
    assert _flagged(thanks) == []


def test_a_short_common_phrase_is_no_repost_even_from_the_same_member() -> None:
    greetings = [
        ("ada", "post", NEW_YEAR),
        ("bruno", "post", NEW_YEAR),
        ("chloe", "post", NEW_YEAR),
        ("ada", "post", NEW_YEAR),
    ]
    assert _flagged(greetings) == []


def test_a_long_text_copied_by_another_member_is_flagged_but_not_a_reply_or_a_template() -> None:
    assert _flagged([("ada", "post", ADA_TEXT), ("chloe", "post", ADA_TEXT)]) == [(1, 0)]
    assert _flagged([("ada", "post", ADA_TEXT), ("chloe", "reply", ADA_TEXT)]) == []
    other_town = ADA_TEXT.replace("Lyon", "Nantes")  # the same template, not a copy
    assert _flagged([("ada", "post", ADA_TEXT), ("chloe", "post", other_town)]) == []
    assert _flagged([("ada", "post", ADA_TEXT), ("ada", "post", other_town)]) == [(1, 0)]


def test_the_members_own_earlier_copy_is_cited_before_someone_elses() -> None:
    posts = [("chloe", "post", ADA_TEXT), ("ada", "post", BRUNO_COPY), ("ada", "post", ADA_TEXT)]
    signatures, _kept = reposts.minhash_batch([text for _m, _k, text in posts])
    matches = reposts.find_text_reposts(
        signatures,
        np.arange(3, dtype=np.int64),
        np.arange(3, dtype=np.int64) + 100,
        np.array([2]),
        np.array([0, 1, 1]),
    )
    assert [(m.index, m.earlier, m.authors) for m in matches] == [(2, 1, 2)]


def _picture(path: Path) -> None:
    image = Image.new("RGB", (640, 480), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 60, 360, 340), fill=(200, 40, 40))
    draw.rectangle((380, 200, 600, 440), fill=(30, 90, 200))
    draw.polygon([(50, 450), (300, 380), (250, 470)], fill=(20, 160, 60))
    image.save(path, "PNG")


def _other_picture(path: Path) -> None:
    image = Image.new("RGB", (640, 480), (10, 10, 10))
    draw = ImageDraw.Draw(image)
    for x in range(0, 640, 80):
        draw.rectangle((x, 0, x + 40, 480), fill=(240, 240, 0))
    image.save(path, "PNG")


def test_dhash_recognises_a_resized_and_reencoded_picture(tmp_path: Path) -> None:
    original, copy, other = tmp_path / "ada.png", tmp_path / "bruno.jpg", tmp_path / "chloe.png"
    _picture(original)
    with Image.open(original) as image:
        image.resize((317, 238)).save(copy, "JPEG", quality=55)
    _other_picture(other)
    a, b, c = reposts.dhash(original), reposts.dhash(copy), reposts.dhash(other)
    assert reposts.hamming(a, b) <= reposts.MAX_IMAGE_DISTANCE
    assert reposts.hamming(a, c) > reposts.MAX_IMAGE_DISTANCE
    hashes = np.array([a, c, b], dtype=np.uint64)
    matches = reposts.find_image_reposts(
        hashes, np.array([1, 2, 3]), np.array([10, 11, 12]), np.arange(3)
    )
    assert [(m.index, m.earlier) for m in matches] == [(2, 0)]


def test_image_paths_reads_attachment_fields(tmp_path: Path) -> None:
    extra = {"attachments": [{"path": "media/cat.jpg"}, {"path": "notes.pdf"}, "pic.PNG"]}
    assert reposts.image_paths(extra, tmp_path) == [
        tmp_path / "media/cat.jpg",
        tmp_path / "pic.PNG",
    ]
    assert reposts.image_paths(None, tmp_path) == []


def test_two_members_telling_their_own_news_in_the_same_words_share_only_a_template() -> None:
    from tending.moderation.reposts import only_the_template

    assert only_the_template(
        "Minou is in remission after 7 weeks of ProZinc! Thank you all so much.",
        "Shadow is in remission after 7 weeks of ProZinc! Thank you all so much.",
    )
    assert only_the_template(
        "Coucou ! ma minette (5,2 kg) a été diagnostiquée il y a 7 semaines, comment faire ?",
        "Coucou ! ma minette (5,2 kg) a été diagnostiquée il y a 4 semaines, comment faire ?",
    )
    copied = "Bonjour à tous, je cherche un vétérinaire spécialisé pour mon chat diabétique dans la région de Lyon"
    assert not only_the_template(copied, copied)
    assert not only_the_template(
        copied.lower().replace("é", "e") + " !!", copied
    )  # case, accents, punctuation
    assert only_the_template(
        copied + " ou de Grenoble, et aussi un bon pet-sitter pour cet été", copied
    )
