"""Write small synthetic data sets in the exact raw formats of the three benchmarks.

The demo pipeline runs offline on these files through the same parsers as the real data, so
every code path (XML quirks aside) is exercised. The texts come from aligned per-language
lexicons (``demo_lexicon.py``), which makes English-trained models transfer to the other
languages. Output is byte-identical for the same seed: each file has its own RNG seeded by
(seed, task, language, split), independent of which other files are written.
"""

from __future__ import annotations

import random
import re
import uuid
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from zsiw.data.demo_lexicon import CLS, CLS_META, MLDOC, ORGS, OTE, PLACES, Adj
from zsiw.data.mldoc import LABELS as MLDOC_LABELS
from zsiw.data.mldoc import MLDOC_LANGUAGES

_SLOT = re.compile(r"\{(\w+)\}")
#: Upper bound on words per classification text (summary + text for reviews).
MAX_WORDS = 40


#: The defaults of `data.demo_train` and `data.demo_test` (tests/test_defaults.py checks them
#: against the schema).
DEMO_TRAIN = 120
DEMO_TEST = 60


def _rng(seed: int, *parts: str) -> random.Random:
    return random.Random(":".join([str(seed), *parts]))


def _cap(text: str) -> str:
    """Upper-case the first character when that keeps the length (offsets stay valid)."""
    head = text[:1].upper()
    return head + text[1:] if len(head) == 1 else text


def _adj(adj: Adj, gender: str) -> str:
    """Adjective form for ``gender``; its first letter picks the form (fr ``fv`` -> ``f``)."""
    return adj if isinstance(adj, str) else adj[gender[:1]]


def _fill(template: str, values: dict[str, str]) -> tuple[str, dict[str, tuple[int, int]]]:
    """Fill ``{SLOT}``s; return the text and the character span of every filled slot."""
    out, spans, pos = [], {}, 0
    for m in _SLOT.finditer(template):
        out.append(template[pos : m.start()])
        start = sum(map(len, out))
        out.append(values[m.group(1)])
        spans[m.group(1)] = (start, start + len(values[m.group(1)]))
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), spans


def _join(sentences: list[str], joiner: str, max_words: int) -> str:
    """Join sentences, dropping trailing ones beyond ``max_words`` (always keep the first)."""
    while len(sentences) > 1 and len(joiner.join(sentences).split()) > max_words:
        sentences = sentences[:-1]
    return joiner.join(sentences)


# --------------------------------------------------------------------------- SemEval XML
def _ote_sentence(lex: dict, rng: random.Random) -> tuple[str, list[dict]]:
    """One sentence and its opinions (``target``/``category``/``polarity``/``from``/``to``)."""
    kind = rng.choices(["single", "double", "null", "none"], weights=[55, 20, 12, 13])[0]
    polarity = rng.choice(["positive", "negative"])
    values = {"P": rng.choice(lex["people"])}
    slots: list[tuple[str, tuple, str]] = []  # (slot, target entry, polarity)
    if kind in ("single", "double"):
        first, second = rng.sample(lex["targets"], 2)
        slots.append(("T", first, polarity))
        if kind == "double":
            template, relation = rng.choice(lex["double"])
            flip = {"positive": "negative", "negative": "positive"}
            slots.append(("T2", second, polarity if relation == "same" else flip[polarity]))
        else:
            template = rng.choice(lex["single"])
        for slot, (surface, gender, _), pol in slots:
            suffix = slot[1:]
            values[slot] = surface
            values["D" + suffix] = lex["det"][gender]
            values["A" + suffix] = _adj(rng.choice(lex[pol[:3]]), gender)
    elif kind == "null":
        template, gender = rng.choice(lex["null"])
        values["A"] = _adj(rng.choice(lex[polarity[:3]]), gender)
    else:
        template = rng.choice(lex["none"])
    text, spans = _fill(template, values)
    text = _cap(text)
    opinions = [
        {
            "target": text[slice(*spans[slot])],
            "category": cat,
            "polarity": pol,
            "from": spans[slot][0],
            "to": spans[slot][1],
        }
        for slot, (_, _, cat), pol in slots
    ]
    if kind == "null":
        opinions.append(
            {
                "target": "NULL",
                "category": "RESTAURANT#GENERAL",
                "polarity": polarity,
                "from": 0,
                "to": 0,
            }
        )
    return text, opinions


def semeval_xml(lang: str, n: int, rng: random.Random) -> str:
    """A SemEval-2016 Task 5 file (layout of the released files) with ``n`` sentences."""
    lex = OTE[lang]
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", "<Reviews>", "\t<sentences>"]
    for _ in range(n):
        text, opinions = _ote_sentence(lex, rng)
        sid = uuid.UUID(int=rng.getrandbits(128), version=4)
        lines += [f'\t\t<sentence id="{sid}">', f"\t\t\t<text>{escape(text)}</text>"]
        if opinions:
            lines.append("\t\t\t<Opinions>")
            for op in opinions:
                attrs = " ".join(f"{k}={quoteattr(str(v))}" for k, v in op.items())
                lines.append(f"\t\t\t\t<Opinion {attrs}/>")
            lines.append("\t\t\t</Opinions>")
        elif rng.random() < 0.5:  # the corpus writes no-opinion sentences both ways
            lines.append("\t\t\t<Opinions/>")
        lines.append("\t\t</sentence>")
    lines += ["\t</sentences>", "</Reviews>", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- Webis-CLS-10
def _double_escape(text: str) -> str:
    """Escape like the corpus: HTML entities first, then XML (``"`` -> ``&amp;quot;``)."""
    return escape(escape(text).replace('"', "&quot;"))


def _review(lex: dict, domain: str, positive: bool, rng: random.Random) -> tuple[str, str]:
    """(summary, text) of one review whose label follows from the polarity sentences."""
    key = "pos" if positive else "neg"
    values = {"ITEM": rng.choice(lex["items"][domain]), "TITLE": rng.choice(lex["titles"])}
    sentences = [_cap(_fill(s, values)[0]) for s in rng.sample(lex[key], rng.randint(1, 3))]
    filler = _fill(rng.choice(lex["filler"][domain]), values)[0]
    sentences.insert(rng.choice([0, len(sentences)]), filler)
    if rng.random() < 0.15:
        sentences.insert(
            rng.randint(1, len(sentences)), rng.choice(lex["mild_neg" if positive else "mild_pos"])
        )
    summary = rng.choice(lex["summary_" + key])
    return summary, _join(
        sentences, "" if lex is CLS["ja"] else " ", MAX_WORDS - len(summary.split())
    )


def _item_xml(
    lang: str, domain: str, rating: int, summary: str, text: str, rng: random.Random
) -> str:
    meta = CLS_META[lang]
    summary, text = _double_escape(summary), _double_escape(text)
    category = _double_escape(meta["category"][domain])
    if lang == "en":
        return (
            f"<item>\n\t<summary>{summary}\n</summary>\n\t<rating>{rating}.0</rating>\n"
            f"\t<text>{text}\n</text>\n\t<category>{category}</category>\n\t</item>"
        )
    asin = "".join(rng.choices("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=10))
    month = rng.randint(1, 12)
    date = meta["date"].format(
        d=rng.randint(1, 28), m=month, month=meta.get("months", [""] * 12)[month - 1]
    )
    location = rng.choice(meta["locations"])
    votes = sorted(rng.randint(0, 30) for _ in range(2))
    fields = [
        f"<category>{category}</category>",
        f"<rating>{rating}.0</rating>",
        f"<realname>{rng.choice(['True', 'False'])}</realname>" if lang == "de" else "",
        f"<asin>{asin}</asin>",
        f"<url>http://{meta['host']}/product-reviews/{asin}/</url>",
        f"<text>{text}</text>",
        f"<title>{_double_escape(rng.choice(CLS[lang]['titles']))}</title>",
        f"<summary>{summary}</summary>",
        f"<date>{escape(date)}</date>",
        f"<location>{escape(location)}</location>" if location else "<location />",
        (
            f"<helpfulness_votes><value>{votes[0]}</value><value>{votes[1]}</value>"
            "</helpfulness_votes>"
        ),
        f"<reviewer>Reviewer {rng.randint(1, 9999)}</reviewer>",
        "" if lang == "de" else "<badges />",
    ]
    return "<item>" + "".join(fields) + "</item>"


def cls_review(lang: str, domain: str, n: int, rng: random.Random) -> str:
    """A Webis-CLS-10 ``.review`` file with ``n`` balanced items in ``lang``'s field layout."""
    lex = CLS[lang]
    labels = [i % 2 == 0 for i in range(n)]
    rng.shuffle(labels)
    items = []
    for positive in labels:
        rating = rng.choice([4, 5] if positive else [1, 2])
        summary, text = _review(lex, domain, positive, rng)
        items.append(_item_xml(lang, domain, rating, summary, text, rng))
    head = '<?xml version="1.0" encoding="utf-8"?>\n<items>'
    if lang == "en":
        return head + "\n".join(items) + "\n</items>"
    sep = "\n\n\n" if lang == "fr" else "\n\n"
    return head + sep.join(items) + sep + "</items>"


def demo_reviews(lang: str, n: int, *, seed: int = 0, domain: str = "books") -> list[dict]:
    """``n`` balanced synthetic reviews ``{"text", "label"}`` (1 = positive) in ``lang``: small
    labelled data for examples (``examples/iw_trainer.py``) without any corpus."""
    _check("cls", (lang,), CLS)
    rng = _rng(seed, "examples", lang, domain)
    out = []
    for i in range(n):
        positive = i % 2 == 0
        summary, text = _review(CLS[lang], domain, positive, rng)
        out.append({"text": f"{summary}. {text}", "label": int(positive)})
    rng.shuffle(out)
    return out


# --------------------------------------------------------------------------- MLDoc
def mldoc_lines(lang: str, n: int, rng: random.Random) -> str:
    """``n`` balanced ``LABEL<TAB>b'...'`` lines, written as MLDoc's script does under Python 3."""
    lex = MLDOC[lang]
    labels = [MLDOC_LABELS[i % 4] for i in range(n)]
    rng.shuffle(labels)
    joiner = "" if lang in ("ja", "zh") else " "
    out = []
    for label in labels:
        values = {"ORG": rng.choice(ORGS), "PLACE": rng.choice(PLACES), "N": str(rng.randint(2, 9))}
        sentences = [_fill(s, values)[0] for s in rng.sample(lex[label], rng.randint(2, 3))]
        if rng.random() < 0.5:
            sentences.append(rng.choice(lex["neutral"]))
        doc = _join(sentences, joiner, MAX_WORDS)
        # generate_documents.py: '{}{}{}\n'.format(label, '\t', doc.encode('utf-8')); str == repr
        out.append("{}{}{!r}\n".format(label, "\t", doc.encode("utf-8")))
    return "".join(out)


def _check(task: str, langs: tuple[str, ...], available: dict) -> None:
    missing = [lang for lang in langs if lang not in available]
    if missing:
        raise ValueError(f"no demo lexicon for {task} in {missing}; available: {sorted(available)}")


def write_demo_raw(
    root: Path,
    *,
    seed: int = 0,
    ote_langs: tuple[str, ...] = ("en", "es", "nl"),
    cls_langs: tuple[str, ...] = ("en", "de", "fr"),
    mldoc_langs: tuple[str, ...] = ("en", "de", "fr"),
    cls_domains: tuple[str, ...] = ("books",),
    n_train: int = DEMO_TRAIN,
    n_test: int = DEMO_TEST,
) -> dict:
    """Write demo raw files under ``root``; return ``{relative path: items}``.

    Layout: ``semeval2016/{lang}/{train,dev,test}.xml`` (dev has ``n_train // 4`` sentences),
    ``webis-cls-10/{code}/{domain}/{train,test}.review`` (``ja`` in ``jp``) and
    ``mldoc/{language}.{train.1000,dev,test}`` (train.1000 holds ``n_train`` lines, dev
    ``n_train // 4``).
    """
    _check("ote", ote_langs, OTE)
    _check("cls", cls_langs, CLS)
    _check("mldoc", mldoc_langs, MLDOC)
    root = Path(root)
    n_dev = max(1, n_train // 4)
    files: dict[str, tuple[str, int]] = {}
    for lang in ote_langs:
        for split, n in (("train", n_train), ("dev", n_dev), ("test", n_test)):
            text = semeval_xml(lang, n, _rng(seed, "ote", lang, split))
            files[f"semeval2016/{lang}/{split}.xml"] = (text, n)
    for lang in cls_langs:
        for domain in cls_domains:
            for split, n in (("train", n_train), ("test", n_test)):
                text = cls_review(lang, domain, n, _rng(seed, "cls", lang, domain, split))
                code = CLS_META[lang]["dir"]
                files[f"webis-cls-10/{code}/{domain}/{split}.review"] = (text, n)
    for lang in mldoc_langs:
        language = MLDOC_LANGUAGES[lang]
        for split, n in (("train.1000", n_train), ("dev", n_dev), ("test", n_test)):
            text = mldoc_lines(lang, n, _rng(seed, "mldoc", lang, split))
            files[f"mldoc/{language}.{split}"] = (text, n)
    for rel, (text, _) in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return {rel: n for rel, (_, n) in files.items()}
