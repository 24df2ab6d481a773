"""Dedup compares what defines an example: normalised text, prompt and answer, labels (issue 18)."""
import csv
from pathlib import Path

import pytest

from curate.config import DEFAULT_GATES, Config, DedupConfig, NearDedupConfig, SemanticDedupConfig
from curate.stages.exact.dedup import dedup_exact, exact_key
from curate.stages.near.minhash import dedup_near
from curate.stages.semantic.dedup import dedup_semantic
from curate.normalise import fix_mojibake, negations, normalise_text
from curate.records import Message, Provenance, Record
from curate.views import comparable_text

BANKING = Path(__file__).parents[1] / "data" / "banking77" / "test_8_intents.csv"
ANSWER = ("Restart the router, wait two minutes, then open the admin page at 192.168.1.1 and check that the "
          "wireless band is set to automatic. If the light still blinks orange, reset it with a pin for ten seconds "
          "and set it up again from the app.")


def chat(prompt, answer, line, system=None, kind="instruction"):
    msgs = ([Message(role="system", content=system)] if system else []) + [
        Message(role="user", content=prompt), Message(role="assistant", content=answer)]
    return Record(kind=kind, messages=msgs, provenance=Provenance(source="c.jsonl", locator=f"line {line}",
                                                                   sha256="0" * 64)).with_id()


def text(t, line, label=None):
    kind = "classification" if label else "text"
    return Record(kind=kind, text=t, label=label,
                  provenance=Provenance(source="t.csv", locator=f"row {line}", sha256="0" * 64)).with_id()


def test_normalise_undoes_format_damage():
    assert fix_mojibake("donâ€™t go to the cafÃ©") == "don\u2019t go to the caf\u00e9"
    assert normalise_text("It\u2019s  \u201cfine\u201d &amp; ok\u2014really") == 'It\'s "fine" & ok-really'
    assert normalise_text("<|im_start|>user\nHello there<|im_end|>") == "Hello there"
    assert normalise_text("### Instruction:\nGive three tips.\n\n### Response:") == "Give three tips."
    wrapped = ("Below is an instruction that describes a task. Write a response that appropriately completes the "
               "request.\n\n### Instruction:\nGive three tips.\n\n### Response:")
    assert normalise_text(wrapped) == "Give three tips."
    assert normalise_text("User: hi") == "hi"
    assert negations("I can't verify") == negations("I cannot verify") != negations("I won't verify")


def test_format_only_copies_are_exact_duplicates():
    prompt, answer = "Why doesn't my router's light turn green?", ANSWER
    copies = [
        chat(prompt, answer, 1),
        chat(prompt.upper(), answer.lower(), 2),
        chat(prompt.replace("'", "\u2019"), answer.replace(" ", "  "), 3),
        chat(prompt.replace("'", "&#x27;"), answer, 4),
        chat(prompt.replace("'", "\u2019").encode("utf-8").decode("cp1252"), answer, 5),
        chat(f"User: {prompt}", f"Assistant: {answer}", 6),
        chat(f"<|im_start|>user\n{prompt}<|im_end|>", answer, 7),
        chat("Below is an instruction that describes a task. Write a response that appropriately completes the "
             f"request.\n\n### Instruction:\n{prompt}\n\n### Response:", answer, 8),
    ]
    assert len({exact_key(r, True) for r in copies}) == 1
    result = dedup_exact(copies, DedupConfig())
    assert [r.provenance.locator for r in result.kept] == ["line 1"]
    assert len(result.rejected) == 7 and all(r.duplicate_of == copies[0].id for r in result.rejected)


def test_same_prompt_other_answer_is_not_a_duplicate():
    long_prompt = "My router " + " ".join(f"step{i} failed" for i in range(60)) + ". What should I do?"
    records = [chat(long_prompt, "Call your provider and ask for a replacement unit.", 1),
               chat(long_prompt, "Update the firmware from the vendor's website, then restart.", 2),
               chat(long_prompt, "Call your provider and ask for a replacement unit!", 3)]
    result = dedup_near(records, NearDedupConfig())
    assert [r.provenance.locator for r in result.rejected] == ["line 3"]  # same answer: a duplicate
    assert result.rejected[0].duplicate_of == records[0].id
    assert result.stats["kept_apart.answer"] >= 1


def test_shared_signature_and_system_prompt_never_decide():
    signature = ("\n--\nBest regards,\nThe Northwind Customer Care Team\nThis message and any attachments are "
                 "confidential and intended solely for the addressee; do not copy, forward or disclose them.")
    system = "You are Northwind's support assistant. " * 10
    pairs = [("How do I reset my router?", "Hold the pin button on the back for ten seconds until the light flashes."),
             ("Can I return a printer I opened?", "Yes, within 30 days, if you keep the box and the receipt."),
             ("Why is my invoice higher this month?", "The annual maintenance fee was billed together with March."),
             ("How do I pair the headset?", "Switch it off, hold the call key until it blinks blue, then pick it in Bluetooth."),
             ("Where is my parcel?", "It left the depot this morning; the courier delivers before six."),
             ("Can I change my delivery address?", "Only until the order ships; after that ask the courier to redirect it."),
             ("How do I cancel my subscription?", "Open Account, choose Plan and press Cancel at the bottom of the page."),
             ("Is the charger included?", "No, the phone ships with a cable only; any USB-C charger works."),
             ("How long does a refund take?", "Five to seven working days after the warehouse receives the item."),
             ("Do you ship to Norway?", "We do, but customs duties are paid by the receiver on delivery."),
             ("Why does the app log me out?", "Sessions end after 30 idle minutes for security; tick Remember me."),
             ("How do I clean the filter?", "Rinse it under lukewarm water without soap and let it dry for a day.")]
    records = [chat(q, a + signature, k, system) for k, (q, a) in enumerate(pairs)]
    result = dedup_near(records, NearDedupConfig())
    assert result.rejected == [] and result.stats["boilerplate_lines"] >= 3


def test_negation_is_not_a_duplicate():
    records = [text("I can verify my identity with a passport", 1), text("I can't verify my identity with a passport", 2),
               text("I can verify my identity with a passport!", 3)]
    result = dedup_near(records, NearDedupConfig())
    assert [r.provenance.locator for r in result.rejected] == ["row 3"]
    assert result.stats["kept_apart.negation"] >= 1


@pytest.fixture
def banking():
    with BANKING.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [text(r["text"], k + 2, r["category"]) for k, r in enumerate(rows)]  # row 1 is the header


def test_banking77_paraphrases_kept_and_label_conflicts_reported(banking, tmp_path, monkeypatch):
    """A real intent set: semantic dedup removes no same-label paraphrase and reports, never resolves, labels
    that disagree on near-identical texts."""
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache"))
    relabelled = banking[10].model_copy(update={"label": "card_not_working", "id": ""})
    relabelled.provenance = Provenance(source="t.csv", locator="row 999", sha256="0" * 64)
    records = banking + [relabelled.with_id()]
    cfg = Config()
    exact = dedup_exact(records, cfg.dedup)
    near = dedup_near(exact.kept, cfg.near_dedup)
    sem = dedup_semantic(near.kept, cfg.semantic_dedup)
    assert sem.rejected == []  # same-label paraphrases are the point of an intent set
    assert sem.stats["same_label_paraphrases"] > 0
    kept = {r.provenance.locator for r in sem.kept}
    assert {"row 12", "row 999"} <= kept  # the injected conflict: both kept
    conflicts = sem.details["label_conflicts"]
    assert sem.stats["label_conflicts"] == len(conflicts) >= 1
    assert any({c["a"], c["b"]} == {"t.csv row 12", "t.csv row 999"} for c in conflicts)
    assert all(c["labels"][0] != c["labels"][1] and c["a"].startswith("t.csv row ") for c in conflicts)
    assert all(c["a"] in {r.provenance.where() for r in sem.kept} and c["b"] in {r.provenance.where() for r in sem.kept}
               for c in conflicts)
    assert near.stats["label_conflicts"] >= 1  # the identical text is seen by MinHash too, and kept
    # the old behaviour, for contrast: SemDeDup removes paraphrases and one side of each conflict
    old = dedup_semantic(near.kept, SemanticDedupConfig(classification="remove", eps=0.10))
    assert len(old.rejected) > 0
    gate = next(g for g in DEFAULT_GATES if g["name"] == "label_conflicts")
    assert gate["metric"] == "semantic_dedup.label_conflicts" and gate["severity"] == "warn"


def test_short_texts_compared_by_characters_and_edits():
    records = [text("what is the top up limit", 1), text("what is really the top up limit", 2),
               text("what is the daily withdrawal limit", 3)]
    result = dedup_near(records, NearDedupConfig())
    assert [r.provenance.locator for r in result.rejected] == ["row 2"]


def test_pair_across_the_short_boundary_is_still_compared():
    cfg = NearDedupConfig()
    fruits = ["Apple", "Banana", "Orange", "Pineapple", "Mango", "Kiwi", "Strawberry", "Blueberry", "Peach", "Raspberry",
              "Cherry", "Plum", "Grape", "Lemon", "Lime", "Melon", "Papaya", "Guava", "Fig", "Date"]
    full = "\n".join(f"{k}. {f}" for k, f in enumerate(fruits[:17], 1))
    one_less = full.replace("4. Pineapple\n", "")
    records = [chat("Make a list of 17 fruits.", full, 1), chat("Make a list of 17 fruits.", one_less, 2)]
    words = [len(comparable_text(r).replace(".", " ").split()) for r in records]
    assert words[0] >= cfg.short_words > words[1]  # one long, one short: compared by word shingles
    result = dedup_near(records, cfg)
    assert [r.provenance.locator for r in result.rejected] == ["line 2"]
