"""Issue 17: an identifier's format beside its label is scrubbed whatever its checksum says; the residual check is
independent of the scrubber and counts what the scrubber left. Real Presidio, real spaCy models, no mocks."""
import json
import re

import pytest
from stdnum import iban, luhn
from stdnum.ch import ssn, uid
from stdnum.de import idnr
from stdnum.es import dni
from stdnum.eu import vat
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pl import pesel

from curate.config import Config
from curate.gates import collect_metrics, effective_gates
from curate.verdict import evaluate, failed
from curate.stages.pii import PiiConfig, scrub
from curate.stages.pii.residual import ResidualCheck
from curate.records import Provenance, Record

# Checksum-INVALID test values, the kind found in real documents (typos, test customers, made-up numbers).
INVALID = {
    "IBAN_CODE": "DE89 3704 0044 0532 0130 01",
    "CH_AHV": "756.1234.5678.98",
    "FR_NIR": "2 95 10 99 126 111 94",
    "NL_BSN": "111222334",
    "DE_TAX_ID": "86095742718",
    "PL_PESEL": "44051401358",
    "ES_NIF": "54362315L",
    "IT_FISCAL_CODE": "RSSMRA85T10A562T",
    "EU_VAT": "DE136695977",
    "CH_VAT": "CHE-123.456.789",
    "CREDIT_CARD": "4111 1111 1111 1112",
}
VALIDATORS = {"IBAN_CODE": iban.validate, "CH_AHV": ssn.validate, "NL_BSN": bsn.validate, "DE_TAX_ID": idnr.validate,
              "PL_PESEL": pesel.validate, "ES_NIF": dni.validate, "IT_FISCAL_CODE": codicefiscale.validate,
              "EU_VAT": vat.validate, "CH_VAT": uid.validate, "CREDIT_CARD": lambda v: luhn.validate(v.replace(" ", ""))}
ENTITY = {"CH_VAT": "EU_VAT"}  # Swiss UID/VAT numbers share the VAT entity

# The labels as they appear in letters, invoices and HR files in four languages.
LETTERS = {
    "de": ["Bankverbindung – IBAN: {IBAN_CODE}", "AHV-Nr.: {CH_AHV}", "Französische Sozialversicherungsnummer (NIR): "
           "{FR_NIR}", "BSN (Niederlande): {NL_BSN}", "Steuer-ID: {DE_TAX_ID}", "PESEL: {PL_PESEL}",
           "NIF: {ES_NIF}", "Codice fiscale: {IT_FISCAL_CODE}", "USt-IdNr.: {EU_VAT}", "UID: {CH_VAT} MWST",
           "Kreditkarte: {CREDIT_CARD}"],
    "fr": ["Coordonnées bancaires : IBAN {IBAN_CODE}", "Numéro AVS : {CH_AHV}", "Numéro de sécurité sociale : {FR_NIR}",
           "BSN néerlandais : {NL_BSN}", "Steuer-ID allemand : {DE_TAX_ID}", "PESEL : {PL_PESEL}",
           "NIF espagnol : {ES_NIF}", "Codice fiscale : {IT_FISCAL_CODE}", "N° TVA intracommunautaire : {EU_VAT}",
           "IDE : {CH_VAT} TVA", "Carte bancaire : {CREDIT_CARD}"],
    "it": ["Coordinate bancarie: IBAN {IBAN_CODE}", "Numero AVS: {CH_AHV}", "Numero NIR francese: {FR_NIR}",
           "BSN olandese: {NL_BSN}", "Steuer-ID tedesco: {DE_TAX_ID}", "PESEL: {PL_PESEL}", "NIF spagnolo: {ES_NIF}",
           "Codice fiscale: {IT_FISCAL_CODE}", "Partita IVA: {EU_VAT}", "IDI: {CH_VAT} IVA",
           "Carta di credito: {CREDIT_CARD}"],
    "en": ["Bank details: IBAN {IBAN_CODE}", "AHV number: {CH_AHV}", "French social security number (NIR): {FR_NIR}",
           "Dutch BSN: {NL_BSN}", "German Steuer-ID: {DE_TAX_ID}", "Polish PESEL: {PL_PESEL}",
           "Spanish NIF: {ES_NIF}", "Italian codice fiscale: {IT_FISCAL_CODE}", "VAT number: {EU_VAT}",
           "Swiss VAT: {CH_VAT}", "Credit card number: {CREDIT_CARD}"],
}
OPENING = {"de": "Sehr geehrte Damen und Herren,\nanbei die Angaben für die Personalakte:\n",
           "fr": "Madame, Monsieur,\nveuillez trouver ci-dessous les informations pour le dossier :\n",
           "it": "Gentili signori,\nin allegato i dati per la pratica:\n",
           "en": "Dear colleagues,\nplease find the details for the personnel file below:\n"}
ORDERS = ["Order {v} shipped on Monday.", "Bestellung {v} wurde am Montag versandt."]


def record(text: str, i: int) -> Record:
    return Record(kind="text", text=text, provenance=Provenance(source="letters.jsonl", locator=f"line {i}",
                                                                sha256="0" * 64)).with_id()


def letters() -> list[Record]:
    return [record(OPENING[lang] + "\n".join(line.format(**INVALID) for line in lines) + "\n", i)
            for i, (lang, lines) in enumerate(LETTERS.items(), start=1)]


def planted() -> int:
    return sum(len(lines) for lines in LETTERS.values())


def leaked(text: str) -> list[str]:
    compact = re.sub(r"[\s.\-]", "", text)
    return [k for k, v in INVALID.items() if v in text or re.sub(r"[\s.\-]", "", v) in compact]


@pytest.mark.parametrize("entity", [e for e in INVALID if e in VALIDATORS])
def test_planted_values_really_fail_their_checksums(entity):
    from stdnum.exceptions import InvalidChecksum

    with pytest.raises(InvalidChecksum):
        VALIDATORS[entity](INVALID[entity])
    nir = re.sub(r"\s", "", INVALID["FR_NIR"])
    assert 97 - int(nir[:13]) % 97 != int(nir[13:])


def test_checksum_invalid_identifiers_beside_their_labels_are_scrubbed_in_four_languages():
    res = scrub(letters(), PiiConfig(n_process=1, operators={}))
    for rec, lang in zip(res.kept, LETTERS):
        assert leaked(rec.text) == [], (lang, leaked(rec.text))
        for entity in INVALID:
            assert f"<{ENTITY.get(entity, entity)}>" in rec.text, (lang, entity)
        assert "IBAN" in rec.text and "PESEL" in rec.text  # the labels stay: only the values go
    assert res.stats["checksum_failed"] == planted()
    assert res.stats["checksum_failed.EU_VAT"] == 2 * len(LETTERS)
    assert res.stats["residual"] == 0


def test_the_same_values_in_order_numbers_without_a_label_are_left_alone():
    texts = [t.format(v=v) for v in INVALID.values() for t in ORDERS]
    recs = [record(t, i) for i, t in enumerate(texts)]
    res = scrub(recs, PiiConfig(n_process=1, operators={}))
    assert [r.text for r in res.kept] == texts
    assert res.stats["entities"] == 0
    # The residual check is loose on purpose: distinctive shapes (an AHV, an IBAN, a card) are findings even there,
    # bare digit runs only beside a label. residual_allow excuses known order-number formats, and says how many.
    assert res.stats["residual"] > 0
    assert "residual.NL_BSN" not in res.stats and "residual.DE_TAX_ID" not in res.stats
    allow = [r"(?:Order|Bestellung) [\w .\-]+?(?= (?:shipped|wurde))"]
    excused = scrub(recs, PiiConfig(n_process=1, operators={}, residual_allow=allow))
    assert excused.stats["residual"] == 0 and excused.stats["residual_allowed"] == res.stats["residual"]


def test_residual_check_alone_counts_every_value_the_reduced_scrubber_left():
    recs = letters()
    res = scrub(recs, PiiConfig(n_process=1, entities=["PERSON"], operators={}))
    assert all(leaked(r.text) for r in res.kept)  # nothing but names is scrubbed now
    assert res.stats["residual"] == planted() and res.stats["residual_records"] == len(recs)
    expected = {"IBAN_CODE": 4, "CH_AHV": 4, "FR_NIR": 4, "NL_BSN": 4, "DE_TAX_ID": 4, "PL_PESEL": 4, "ES_NIF": 4,
                "IT_FISCAL_CODE": 4, "EU_VAT": 8, "CREDIT_CARD": 4}
    assert {k.split(".", 1)[1]: v for k, v in res.stats.items() if k.startswith("residual.")} == expected
    # every finding is listed for review by type, source and locator, never with its value
    assert len(res.details["residual"]) == planted()
    first = res.details["residual"][0]
    assert set(first) == {"type", "source", "locator", "field", "start", "end", "record"}
    assert first["source"] == "letters.jsonl" and first["locator"] == "line 1" and first["field"] == "text"
    details = json.dumps(res.details)
    assert not leaked(details) and "RSSMRA" not in details
    # and the default gate fails on it
    metrics = collect_metrics([("pii_scrub", res)], {"train": len(res.kept)})
    verdicts = {g.name: g for g in evaluate(effective_gates(Config()), metrics)}
    assert verdicts["residual_identifiers"].status == "fail"
    assert "residual_identifiers" in {g.name for g in failed(list(verdicts.values()))}


def test_residual_check_is_blind_to_what_curate_inserted():
    """Pseudonyms are realistic (a valid IBAN, a phone number of the same shape): only their spans tell them apart."""
    rec = record("Refund to IBAN DE89 3704 0044 0532 0130 00 and call me on +44 20 7946 0958, "
                 "mail oliver.bennett@example.com.", 1)
    res = scrub([rec], PiiConfig(n_process=1, key="test-key-not-a-secret",
                                 operators={"IBAN_CODE": "pseudonym", "PHONE_NUMBER": "pseudonym",
                                            "EMAIL_ADDRESS": "pseudonym"}))
    out = res.kept[0].text
    assert "0532 0130 00" not in out and re.search(r"DE\d\d \d{4}", out) and "@example." in out
    assert res.stats["residual"] == 0
    assert len(ResidualCheck().scan(out)[0]) == 3  # the same text without the inserted spans: three shapes


def test_residual_shapes_in_several_languages_and_what_they_leave_alone():
    check = ResidualCheck()
    found = {
        "Rufen Sie mich unter 0170 5550123 an": "PHONE_NUMBER", "appelez le 06 39 98 42 17": "PHONE_NUMBER",
        "llámame al 655 123 987": "PHONE_NUMBER", "chiamami al +39 347 555 1234": "PHONE_NUMBER",
        "bel me op 06-12345678": "PHONE_NUMBER", "mail a.b@corp.local": "EMAIL_ADDRESS",
        "iban nl91abna0417164300 graag": "IBAN_CODE", "NO93 8601 1117 947": "IBAN_CODE",
        "numer PESEL 44051401358": "PL_PESEL", "NIE X2482300A": "ES_NIE", "NINO AB 12 34 56 C": "UK_NINO",
        "SSN 078-05-1126": "US_SSN", "from 192.0.2.44": "IP_ADDRESS", "ATU12345678": "EU_VAT",
    }
    for text, kind in found.items():
        assert [f.type for f in check.scan(text)[0]] == [kind], text
    quiet = ["Ihre Bestellung 12345678901 ist unterwegs", "Rechnung vom 01.02.2025 10:30", "total 1.234.567,89 EUR",
             "version 2.3.1", "tracking JD014600006281937452", "ticket 2024-03-01 #4411", "E204 at 14:05",
             "Martin paid 123456789 points", "<PERSON> wrote <EMAIL_ADDRESS>", "Order 123-456 of 12/2025"]
    for text in quiet:
        assert check.scan(text)[0] == [], text


def test_residual_allow_is_validated_and_never_quotes_record_text():
    with pytest.raises(ValueError, match=r"residual_allow\[0\]"):
        PiiConfig(residual_allow=["(unclosed"])


def test_residual_check_imports_nothing_from_the_scrubber():
    import ast
    from pathlib import Path

    import curate.stages.pii.residual as residual

    tree = ast.parse(Path(residual.__file__).read_text(encoding="utf-8"))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"__future__", "re", "dataclasses"}, imported


def test_phone_and_ip_context_sentences_from_presidio(shared_data):
    """Presidio's own context test sentences (read in place) for phone numbers and IP addresses: with the words
    now matched in the raw text, every number beside its word is still scrubbed, and the residual check agrees."""
    blocks = (shared_data / "presidio-pii" / "context_sentences_tests.txt").read_text(encoding="utf-8")
    lines = [x for x in re.sub(r"(?m)^#.*\n", "", blocks).splitlines() if x.strip()]
    pairs = [(e.strip(), s) for e, s in zip(lines[::2], lines[1::2]) if e.strip() in ("PHONE_NUMBER", "IP_ADDRESS")]
    assert len(pairs) >= 5
    res = scrub([record(s, i) for i, (_, s) in enumerate(pairs)], PiiConfig(n_process=1, operators={}))
    for (entity, _), rec in zip(pairs, res.kept):
        assert f"<{entity}>" in rec.text and not re.search(r"\d{3}", rec.text), rec.text
    assert res.stats["residual"] == 0


# Real public data: FakeNameGenerator identities shipped with presidio-research (../shared/data/presidio-pii, read in
# place): French NIRs and Polish PESELs (one mangled to 9 digits by a spreadsheet: the scrubber leaves it, the
# residual check counts it) and phone numbers in ten countries' national formats, one short labelled line each (too
# short for language detection, so the labels must work in every language).
PHONE_LINES = {"DE": "Telefon: {}", "AT": "Telefon: {}", "CH": "Telefon: {}", "FR": "Téléphone : {}",
               "BE": "Téléphone : {}", "IT": "Telefono: {}", "ES": "Teléfono: {}", "NL": "Telefoon: {}",
               "GB": "Phone: {}", "PL": "Telefon: {}"}
ID_LINES = {"FR": "Numéro de sécurité sociale : {}", "PL": "Numer PESEL: {}"}


def _identities(shared_data):
    import csv

    path = shared_data / "presidio-pii" / "FakeNameGenerator.com_3000.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [r for r in csv.DictReader(f) if r["Country"] in PHONE_LINES]


def test_real_identities_national_ids_and_phones_beside_labels(shared_data):
    rows = _identities(shared_data)
    lines = [(r["TelephoneNumber"], PHONE_LINES[r["Country"]].format(r["TelephoneNumber"])) for r in rows]
    lines += [(r["NationalID"], ID_LINES[r["Country"]].format(r["NationalID"])) for r in rows
              if r["Country"] in ID_LINES and r["NationalID"]]
    assert len(lines) > 1000
    res = scrub([record(text, i) for i, (_, text) in enumerate(lines)], PiiConfig(n_process=1, operators={}))
    left = [value for (value, _), rec in zip(lines, res.kept) if value in rec.text]
    assert len(left) <= 0.01 * len(lines), f"{len(left)} of {len(lines)} values left"
    # the independent check, with the scrubber reduced to names, sees (nearly) all of them on its own
    alone = scrub([record(text, i) for i, (_, text) in enumerate(lines)],
                  PiiConfig(n_process=1, operators={}, entities=["PERSON"]))
    assert alone.stats["residual"] >= 0.99 * len(lines), (alone.stats["residual"], len(lines))
