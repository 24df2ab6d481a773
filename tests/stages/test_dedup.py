"""Exact, MinHash and semantic dedup, split leakage and diversity."""
import json

import pytest

from curate.config import Config, DedupConfig, NearDedupConfig, SemanticDedupConfig
from curate.stages.exact.dedup import dedup_exact
from curate.stages.near.minhash import dedup_near, near_duplicate_pairs, shingles
from curate.stages.semantic.dedup import dedup_semantic
from curate.stages.diversity.measure import measure_diversity, vendi
from curate.stages.ingest.folder import ingest
from curate.records import Message, Provenance, Record

WORDS = ("router firmware update failed twice last night and now the status light keeps blinking orange while "
         "the app shows no connection at all even though the cable modem from the provider is online and every "
         "other device in the house can reach the internet without any trouble so I suspect the update broke "
         "something in the wireless settings or the dhcp server of the router itself").split()


def rec(text, source="a.jsonl", line=1, kind="text"):
    prov = Provenance(source=source, locator=f"line {line}", sha256="0" * 64)
    if kind == "chat":
        return Record(kind="chat", messages=[Message(role="system", content="You are a helpful agent."),
                                             Message(role="user", content=text),
                                             Message(role="assistant", content="Thanks, let me check.")],
                      provenance=prov).with_id()
    return Record(kind="text", text=text, provenance=prov).with_id()


def test_exact_catches_whitespace_and_case_unless_told():
    a, b, c = rec("Hello  world\nagain", line=1), rec("Hello world again ", line=2), rec("HELLO world again", line=3)
    result = dedup_exact([a, b, c], DedupConfig(ignore_case=False))
    assert [r.provenance.locator for r in result.rejected] == ["line 2"]
    assert result.rejected[0].duplicate_of == a.id
    assert len(dedup_exact([a, b, c], DedupConfig()).rejected) == 2  # case-only copies are format copies by default


def test_near_duplicates_clustered_verified_and_named():
    base = " ".join(WORDS)
    one_word = base.replace("orange", "red")
    two_words = one_word.replace("twice", "again")
    other = "completely different question about invoices and refunds for the annual business plan in euros"
    records = [rec(base, line=1), rec(other, line=2), rec(one_word, line=3), rec(two_words, line=4)]
    result = dedup_near(records, NearDedupConfig(threshold=0.6))
    assert [r.provenance.locator for r in result.kept] == ["line 1", "line 2"]
    assert {r.duplicate_of for r in result.rejected} == {records[0].id}  # transitive cluster, one representative
    assert all(r.reason.startswith("near duplicate (Jaccard 0.") and "a.jsonl line 1" in r.reason for r in result.rejected)
    assert result.stats["clusters"] == 1 and result.stats["largest_cluster"] == 3
    strict = dedup_near(records, NearDedupConfig(threshold=0.95))
    assert strict.rejected == []


def test_pairs_are_verified_by_true_jaccard():
    cfg = NearDedupConfig(threshold=0.7, num_perm=32)  # few permutations: LSH proposes loose candidates
    texts = [" ".join(WORDS[:n]) for n in range(8, len(WORDS) + 1)]
    sets = [shingles(t, cfg) for t in texts]
    for i, j, jac in near_duplicate_pairs(sets, cfg):
        true = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
        assert jac == pytest.approx(true) and true >= 0.7


def test_keep_longest_rule():
    short = " ".join(WORDS)
    longer = short + " please help"
    result = dedup_near([rec(short, line=1), rec(longer, line=2)], NearDedupConfig(threshold=0.6, keep="longest"))
    assert [r.provenance.locator for r in result.kept] == ["line 2"]


def test_boilerplate_header_ignored():
    header = "toolformer: enabled\ntoolformer access: python\nA Python shell. Use it to run code and print results."
    tasks = ["Compute the square root of 1764", "How many days are in a leap year", "Convert 100 F to Celsius",
             "Sum the numbers from 1 to 100", "What is 17 times 23", "Reverse the string hello"]
    records = [rec(f"{header}\n{t}", line=i) for i, t in enumerate(tasks, 1)]
    naive = dedup_near(records, NearDedupConfig(threshold=0.5, ignore_boilerplate=False))
    smart = dedup_near(records, NearDedupConfig(threshold=0.5))
    assert len(naive.rejected) >= 4  # the header makes every pair look alike
    assert smart.rejected == [] and smart.stats["boilerplate_lines"] == 3


def test_char_shingles_empty_text_and_determinism():
    cfg = NearDedupConfig(shingle="char", ngram=4, threshold=0.7)
    records = [rec("colour of the sky at dusk", line=1), rec("color of the sky at dusk", line=2), rec("   ", line=3)]
    result = dedup_near(records, cfg)
    assert [r.provenance.locator for r in result.rejected] == ["line 2"]
    assert result.stats["skipped_empty"] == 1
    again = dedup_near(records, cfg)
    assert [r.model_dump() for r in again.rejected] == [r.model_dump() for r in result.rejected]


def test_long_text_shingles_are_bounded():
    cfg = NearDedupConfig(max_shingles=100)
    assert len(shingles(" ".join(f"w{i}" for i in range(5000)), cfg)) == 100


def test_cross_split_leakage_reported(tmp_path):
    topics = ["router firmware", "invoice totals", "password resets", "shipping delays", "printer drivers"]
    rows = [{"prompt": f"Tell me everything about {t}: " + " ".join(WORDS[7 * i:7 * i + 30]), "completion": f"Answer {i}"}
            for i, t in enumerate(topics)]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "validation.jsonl").write_text(json.dumps(rows[0]) + "\n" + json.dumps(
        {"prompt": rows[1]["prompt"] + " please", "completion": "Answer 1"}) + "\n")
    records = ingest(tmp_path, Config(), progress=False).kept
    exact = dedup_exact(records, DedupConfig())
    assert exact.stats["leakage.exact_cross_split_pairs"] == 1
    near = dedup_near(exact.kept, NearDedupConfig(threshold=0.8))
    assert near.stats["leakage.near_cross_split_pairs"] == near.stats["verified_pairs"] == 1


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache"))


def test_semantic_dedup_and_embedding_cache(tmp_cache):
    texts = ["How do I reset my router password?", "How do I reset my router password ?",
             "What is the refund policy for annual plans?", "My invoice shows the wrong VAT number.",
             "The printer will not connect to wifi after the update."]
    records = [rec(t, line=i, kind="chat") for i, t in enumerate(texts, 1)]
    cfg = SemanticDedupConfig(eps=0.02, model="minilm")  # the transformer's vectors are cached (the static model's not)
    first = dedup_semantic(records, cfg)
    assert [r.provenance.locator for r in first.rejected] == ["line 2"]
    assert first.rejected[0].duplicate_of == records[0].id and "cosine" in first.rejected[0].reason
    assert first.stats["cache.embeddings_computed"] == 5
    second = dedup_semantic(records, cfg)
    assert second.stats["cache.embeddings_computed"] == 0
    assert [r.id for r in second.kept] == [r.id for r in first.kept]


def test_vendi_bounds():
    import numpy as np

    same = np.tile(np.eye(4)[:1], (10, 1)).astype(np.float32)
    assert vendi(same) == pytest.approx(1.0)
    assert vendi(np.eye(4, dtype=np.float32)) == pytest.approx(4.0)


def test_label_balance_and_first_turn_repetition():
    prov = Provenance(source="t.csv", locator="row 1", sha256="0" * 64)
    labelled = [Record(kind="classification", text=f"ticket {i}", label=lab, provenance=prov).with_id()
                for i, lab in enumerate(["billing"] * 6 + ["tech"] * 2)]
    chats = [rec("What is up?", line=i, kind="chat") for i in range(3)] + [rec("Hello there", line=9, kind="chat")]
    stats = measure_diversity(labelled + chats, Config().diversity, SemanticDedupConfig(cache=False)).stats
    assert stats["labels"] == 2 and stats["label_min_count"] == 2 and stats["label_balance"] == pytest.approx(1 / 3)
    assert stats["first_turn_top_share"] == pytest.approx(0.75)


def test_shared_alpaca_and_dpo_dedup_counts(shared_data):
    cfg = Config()
    for name, expected in (("alpaca_en_demo.json", 985), ("dpo_en_demo.json", 295)):
        records = ingest(shared_data / "llamafactory-demo" / name, cfg, progress=False).kept
        after = dedup_near(dedup_exact(records, cfg.dedup).kept, cfg.near_dedup).kept
        assert len(after) == expected, name


def test_sharegpt_far_less_diverse_than_alpaca(shared_data):
    cfg = Config()

    def stats(path):
        return measure_diversity(ingest(path, cfg, progress=False).kept, cfg.diversity, cfg.semantic_dedup).stats

    share = stats(shared_data / "sharegpt-fastchat")
    alpaca = stats(shared_data / "llamafactory-demo" / "alpaca_en_demo.json")
    assert share["vendi"] * 10 < alpaca["vendi"]
    assert share["distinct_2"] * 10 < alpaca["distinct_2"]
    assert share["first_turn_top_share"] == pytest.approx(167 / 500)
