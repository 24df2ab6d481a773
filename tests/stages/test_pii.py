"""The pii_scrub stage as a whole: pseudonyms, conversations, audit without leaks, residual scan, the Presidio e2e
demo pair and the PII planted in sample_data."""
import json
import re
from pathlib import Path

import pytest

from curate.stages.pii import PiiConfig, PiiError, scrub
from curate.records import Message, Provenance, Record

REPO = Path(__file__).resolve().parents[2]
KEY = "test-key-not-a-secret"
PLANTED = {  # sample_data/README.md, "Planted PII"
    "names": ["Oliver Bennett", "Charlotte Hughes", "Jürgen Hoffmann", "Katrin Vogel", "Amélie Fontaine",
              "Camille Lefèvre", "Lucía Navarro", "Javier Morales", "Grace Whitfield", "Matthias Brandt",
              "Élodie Marchand", "Diego Fernández", "Priya Raman"],
    "emails": ["oliver.bennett@example.com", "amelie.fontaine@example.net", "k.vogel@example.org",
               "javier.morales@example.com", "grace.whitfield@example.com", "elodie.marchand@example.org"],
    "phones": ["+44 20 7946 0958", "+49 170 5550123", "06 39 98 42 17", "655 123 987", "+49 40 5550 1876",
               "+34 612 555 019", "+44 161 496 0732"],
    "ibans": ["DE12 5001 0517 0648 4898 90", "FR7630004008230451987263013"],
    "address": ["Lindenstraße 17", "50674 Köln"],
}


def chat(*turns: str, i: int = 0) -> Record:
    roles = ["user", "assistant"] * len(turns)
    return Record(kind="chat", messages=[Message(role=r, content=t) for r, t in zip(roles, turns)],
                  provenance=Provenance(source="chats.jsonl", locator=f"line {i}", sha256="0" * 64)).with_id()


def texts(result) -> list[str]:
    return [m.content for rec in result.kept for m in rec.messages]


CONVERSATION = chat("Hi, I'm Oliver Bennett, reach me at oliver.bennett@example.com or +44 20 7946 0958.",
                    "Thanks Oliver, I have noted your details, Mr Bennett.")


def test_pseudonyms_are_stable_per_key_and_change_with_the_key():
    cfg = PiiConfig(n_process=1, key=KEY)
    first, again = texts(scrub([CONVERSATION], cfg)), texts(scrub([CONVERSATION], cfg))
    other = texts(scrub([CONVERSATION], PiiConfig(n_process=1, key="another-key")))
    assert first == again
    assert first != other
    for out in (first, other):
        joined = " ".join(out)
        assert "Oliver" not in joined and "Bennett" not in joined and "7946 0958" not in joined
        email = re.search(r"[\w.]+@example\.(?:com|org|net)", joined)
        assert email and email.group() != "oliver.bennett@example.com"
        assert re.search(r"\+44 \d\d \d{4} \d{4}", joined)  # realistic: same country and shape


def test_same_value_same_pseudonym_across_records():
    cfg = PiiConfig(n_process=1, key=KEY)
    a = chat("My name is Katrin Vogel and my e-mail is k.vogel@example.org.", "Thanks.", i=1)
    b = chat("Hello, Katrin Vogel here again, about my order.", "Welcome back.", i=2)
    out = texts(scrub([a, b], cfg))
    fake_a = re.search(r"My name is (\S+ \S+) and", out[0]).group(1)
    assert f"Hello, {fake_a} here again" in out[2]


def test_same_person_same_pseudonym_within_a_conversation():
    out = texts(scrub([CONVERSATION], PiiConfig(n_process=1, key=KEY)))
    full = re.search(r"I'm (\S+) (\S+), reach", out[0])
    first, last = full.groups()
    assert out[1].startswith(f"Thanks {first}, ") and out[1].endswith(f"Mr {last}.")
    local = re.search(r"([\w.]+)@example", out[0]).group(1)  # the address follows the fake name too
    assert local.split(".")[-1] in last.lower() or last.lower().startswith(local.split(".")[-1][:3])


def test_iban_and_card_pseudonyms_keep_valid_checksums():
    from curate.stages.pii.operators import Pseudonymizer

    p = Pseudonymizer(b"k")
    iban = p.iban("DE12 5001 0517 0648 4898 90")
    assert re.fullmatch(r"DE\d\d \d{4} \d{4} \d{4} \d{4} \d\d", iban) and iban != "DE12 5001 0517 0648 4898 90"
    assert int("".join(str(int(c, 36)) for c in iban.replace(" ", "")[4:] + "DE" + iban[2:4])) % 97 == 1
    card = p.card("4111-1111-1111-1111").replace("-", "")
    assert sum(int(d) if i % 2 == 0 else sum(divmod(int(d) * 2, 10)) for i, d in enumerate(reversed(card))) % 10 == 0
    assert "Pseudonymizer(<key hidden>)" == repr(p)


def test_operators_mask_placeholder_and_drop_without_raw_values_in_the_audit():
    cfg = PiiConfig(n_process=1, key=KEY, operators={"EMAIL_ADDRESS": "mask", "IBAN_CODE": "drop"})
    keep = chat("Mail me at oliver.bennett@example.com please.", "Sure.", i=1)
    drop = chat("Refund to DE12 5001 0517 0648 4898 90 please, Katrin Vogel.", "Done.", i=2)
    res = scrub([keep, drop], cfg)
    assert res.kept[0].messages[0].content == "Mail me at ******.*******@*******.*** please."
    assert [r.id for r in res.rejected] == [drop.id] and res.rejected[0].stage == "pii_scrub"
    assert res.rejected[0].reason == "contains IBAN_CODE (pii operator 'drop')"
    audit = json.dumps([res.stats, res.details, [r.model_dump() for r in res.rejected]], ensure_ascii=False)
    for raw in ("oliver", "bennett", "DE12", "5001 0517", "Katrin", "Vogel", KEY):
        assert raw.lower() not in audit.lower()
    assert res.stats["records_in"] == 2 and res.stats["kept"] + res.stats["rejected"] == 2


def test_subject_index_holds_keyed_normalised_hashes_only():
    cfg = PiiConfig(n_process=1, key=KEY)
    a = chat("Contact: Oliver.Bennett@Example.com, +44 20 7946 0958, DE12 5001 0517 0648 4898 90", "Ok.", i=1)
    b = chat("Contact: oliver.bennett@example.com, 020 7946 0958, DE12500105170648489890", "Ok.", i=2)
    index = scrub([a, b], cfg).details["subject_index"]
    assert set(index) == {a.id, b.id}
    shared = set(index[a.id]) & set(index[b.id])  # same e-mail, phone (E.164) and IBAN (no spaces)
    assert len(shared) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", h) for h in shared)
    other = scrub([a], PiiConfig(n_process=1, key="another-key")).details["subject_index"][a.id]
    assert not set(other) & set(index[a.id])


def test_without_a_key_pseudonyms_fall_back_or_refuse(monkeypatch):
    monkeypatch.delenv("CURATE_PII_KEY", raising=False)
    res = scrub([CONVERSATION], PiiConfig(n_process=1))
    assert res.stats["key_missing"] == 1 and res.details["subject_index"] == {}
    assert "<PERSON>" in res.kept[0].messages[0].content
    with pytest.raises(PiiError, match="CURATE_PII_KEY") as err:
        scrub([CONVERSATION], PiiConfig(n_process=1, missing_key="error"))
    assert "Oliver" not in str(err.value)
    monkeypatch.setenv("CURATE_PII_KEY", KEY)
    assert scrub([CONVERSATION], PiiConfig(n_process=1)).stats["key_missing"] == 0


def test_residual_scan_counts_what_was_left_in_the_published_text():
    rec = chat("Mail oliver.bennett@example.com or call +44 20 7946 0958.", "Ok.")
    clean = scrub([rec], PiiConfig(n_process=1, key=KEY))
    assert clean.stats["residual"] == 0  # pseudonyms we inserted are not findings
    leaky = scrub([rec], PiiConfig(n_process=1, key=KEY, thresholds={"EMAIL_ADDRESS": 1.01, "PHONE_NUMBER": 0.4}))
    assert leaky.stats["residual"] == 1 and leaky.stats["residual.EMAIL_ADDRESS"] == 1
    (finding,) = leaky.details["residual"]
    assert finding == {"type": "EMAIL_ADDRESS", "source": "chats.jsonl", "locator": "line 0",
                       "field": "messages[0].content", "start": 5, "end": 31, "record": rec.id}
    assert "oliver" not in json.dumps(leaky.details)


def test_allow_list_and_deny_list():
    cfg = PiiConfig(n_process=1, operators={}, allow_list=["Grace Hopper"], deny_list={"PERSON": ["Bobby"]})
    out = texts(scrub([chat("The Grace Hopper router is great, says Bobby from support.", "Thanks!")], cfg))
    assert out[0] == "The Grace Hopper router is great, says <PERSON> from support."


def test_stats_per_entity_and_language():
    recs = [chat("Hallo, mein Name ist Jürgen Hoffmann, meine Nummer ist +49 170 5550123.", "Danke.", i=1),
            chat("Bonjour, je m'appelle Amélie Fontaine, mon e-mail est amelie.fontaine@example.net.", "Merci.", i=2),
            chat("Hi, I'm Oliver Bennett.", "Hello Oliver, how can I help?", i=3)]
    stats = scrub(recs, PiiConfig(n_process=1, key=KEY)).stats
    assert (stats["lang.de"], stats["lang.fr"], stats["lang.en"], stats["lang_other"]) == (1, 1, 1, 0)
    assert stats["records.PERSON"] == 3 and stats["entity.PHONE_NUMBER"] == 1 and stats["entity.EMAIL_ADDRESS"] == 1
    assert stats["records_with_pii"] == 3 and stats["entities"] == sum(
        v for k, v in stats.items() if k.startswith("entity."))


def test_two_workers_give_the_same_result_as_one():
    recs = [chat(f"Hi, I'm Oliver Bennett, ticket {i}, call +44 20 7946 0958.", "Thanks Oliver.", i=i)
            for i in range(12)]
    one = scrub(recs, PiiConfig(n_process=1, key=KEY))
    two = scrub(recs, PiiConfig(n_process=2, chunk_size=4, key=KEY))
    assert texts(one) == texts(two) and one.details["subject_index"] == two.details["subject_index"]


def test_presidio_e2e_demo_is_reproduced_in_placeholder_mode(shared_data):
    folder = shared_data / "presidio-pii"
    text = (folder / "e2e_demo.txt").read_text(encoding="utf-8")
    expected = (folder / "e2e_demo_anonymized.txt").read_text(encoding="utf-8")
    # Presidio's default scope: every URL and date, and its weak US patterns with a context word (score 0.4)
    cfg = PiiConfig(n_process=1, operators={}, url_scope="all", date_scope="all", score_threshold=0.4)
    rec = Record(kind="text", text=text, provenance=Provenance(source="demo", locator="file", sha256="0" * 64))
    assert scrub([rec], cfg).kept[0].text == expected


def test_planted_pii_in_sample_data_is_gone():
    from curate.config import load_config
    from curate.stages.ingest.folder import ingest

    records = ingest(REPO / "sample_data", load_config(src=REPO / "sample_data"), progress=False).kept
    res = scrub(records, PiiConfig(n_process=2, key=KEY))
    published = json.dumps([r.model_dump() for r in res.kept], ensure_ascii=False)
    leaks = [v for values in PLANTED.values() for v in values if v in published]
    leaks += [n.split()[-1] for n in PLANTED["names"] if re.search(rf"\b{n.split()[-1]}\b", published)]
    assert leaks == []
    assert res.stats["residual"] == 0 and len(res.kept) == len(records)
    assert [r.id for r in res.kept] == [r.id for r in records]


def test_no_raw_value_reaches_the_logs(caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    res = scrub([CONVERSATION, chat("IBAN FR7630004008230451987263013 from now on, Katrin Vogel.", "Ok.", i=1)],
                PiiConfig(n_process=1, key=KEY))
    logged = caplog.text + json.dumps(res.stats) + json.dumps(res.details)
    for raw in ("Oliver", "Bennett", "7946 0958", "FR7630004008230451987263013", "Vogel", KEY):
        assert raw not in logged
