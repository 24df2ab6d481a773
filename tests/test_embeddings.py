"""The embedding backends. The default static model (distilled from MiniLM with model2vec) and the int8 ONNX MiniLM:
each close enough to tell a duplicate from another text, and bit-identical whatever the cache holds (a cold build,
a warm model, cached vectors, a partly cached set, a rebuild on another machine)."""
import numpy as np
import pytest

from curate import embeddings as E

TEXTS = [
    "How do I reset my router password?", "How do I reset my router password ?",
    "What is the refund policy for annual plans?", "My invoice shows the wrong VAT number.",
    "The printer will not connect to wifi after the update.", "I can't log in to my account since yesterday.",
    "I won't be able to attend the meeting on Friday.", "Can you change the delivery address of order 4471?",
    "Wie kann ich mein Passwort zurücksetzen?", "Mon colis n'est jamais arrivé, que faire ?",
    "ok", "", "Thanks!", "Please cancel my subscription and refund the last payment.",
    "The app crashes when I open the camera on Android 14.", "Where can I download last month's invoice?",
    "Is there a student discount for the premium plan?", "My card was charged twice for the same order.",
    "How long does shipping to Canada take?", "Can I upgrade from the basic plan to the team plan mid-cycle?",
    "The battery drains in two hours after the firmware update.",
    "I need to update the billing email on our company account to finance@example.com.",
    "Hello, my Aurora X2 headphones keep disconnecting from my laptop every few minutes. I already tried "
    "re-pairing them.\nThanks for reaching out. Please try this: 1. Update the firmware to 3.2.1. 2. Reset the "
    "headphones by holding the power button for 10 seconds. If it shows error E402, tell me.\nThat fixed it, "
    "thanks!\nGreat to hear. I have closed ticket T-48213.",
    "word " * 300,  # longer than max_tokens: truncated like sentence-transformers truncates
] + [f"Order {n} arrived damaged; the box was crushed and item {n % 7} is broken." for n in range(12)]

# Measured on these texts against sentence-transformers fp32 at the same 128 word pieces: mean cosine 0.988; the
# lowest are the shortest texts ("Thanks!" 0.944, "ok" 0.954, "" 0.971), sentences and chats 0.985 or more.
FLOOR, FLOOR_SENTENCES = 0.93, 0.975


@pytest.fixture
def cold_cache(tmp_path, monkeypatch):
    """An empty CURATE_CACHE_DIR and no model loaded in this process: the next embed() builds the model."""
    def fresh(name: str):
        monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / name))
        E.load_model.cache_clear()
        return tmp_path / name
    yield fresh
    E.load_model.cache_clear()


def test_unit_vectors_close_to_fp32(cold_cache):
    cold_cache("cache")
    fast, computed = E.embed(TEXTS, model="minilm", cache=False)
    ref, _ = E.embed(TEXTS, model="minilm-fp32", cache=False)
    assert computed == len(TEXTS) and fast.shape == ref.shape == (len(TEXTS), E.DIM) and fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cos = (fast * ref).sum(1)
    assert cos.min() >= FLOOR, (cos.min(), TEXTS[int(cos.argmin())][:60])
    sentences = [i for i, t in enumerate(TEXTS) if len(t.split()) >= 5]
    assert cos[sentences].min() >= FLOOR_SENTENCES and cos.mean() >= 0.98, cos
    # the pair semantic dedup must merge stays far above any pair it must keep apart
    assert fast[0] @ fast[1] > 0.95 and fast[0] @ fast[2] < 0.6


def test_backend_in_cache_key():
    keys = {E.cache_key("same text", m, 128) for m in ("minilm-static", "minilm", "minilm-fp32")}
    assert len(keys) == 3


def test_int8_deterministic_across_cold_and_warm_cache(cold_cache):
    root = cold_cache("a")
    cold, computed = E.embed(TEXTS, model="minilm")  # builds the model, embeds, fills the cache
    assert computed == len(set(TEXTS)) and any((root / "models").iterdir())
    assert not [p for p in (root / "models").iterdir() if p.name.startswith(".")]  # no temporary folder left
    warm, computed = E.embed(TEXTS, model="minilm")
    assert computed == 0 and np.array_equal(cold, warm)
    again, _ = E.embed(TEXTS, model="minilm", cache=False)  # recomputed with the loaded model
    assert np.array_equal(cold, again)
    E.EmbeddingCache(root / "embeddings.sqlite").delete([E.cache_key(t, "minilm", 128) for t in TEXTS[:5]])
    partial, computed = E.embed(TEXTS, model="minilm")  # a partly cached shard is embedded whole: same batches, same bits
    assert computed == len(set(TEXTS)) and np.array_equal(cold, partial)
    shuffled = TEXTS[::-1]
    assert np.array_equal(E.embed(shuffled, model="minilm", cache=False)[0], cold[::-1])  # order of the call does not matter
    cold_cache("b")  # a second machine: the model is built again from the package
    rebuilt, _ = E.embed(TEXTS, model="minilm")
    assert np.array_equal(cold, rebuilt)


def test_static_default_separates_duplicates_and_is_deterministic(cold_cache):
    root = cold_cache("a")
    vecs, computed = E.embed(TEXTS)  # builds the static model once, embeds every text
    assert vecs.shape == (len(TEXTS), E.STATIC_DIM) and vecs.dtype == np.float32 and computed == len(set(TEXTS))
    norms = np.linalg.norm(vecs, axis=1)
    assert np.allclose(norms[[i for i, t in enumerate(TEXTS) if t]], 1.0, atol=1e-5)
    assert not vecs[TEXTS.index("")].any()  # no word piece: a zero vector, never NaN
    assert vecs[0] @ vecs[1] > 0.95 and vecs[0] @ vecs[2] < 0.6
    assert not (root / "embeddings.sqlite").exists()  # never cached: computing is cheaper than a lookup
    # each vector is a function of its text alone: order, batch-mates and a rebuilt model change nothing
    assert np.array_equal(E.embed(TEXTS[::-1])[0], vecs[::-1])
    assert np.array_equal(E.embed(TEXTS[:3])[0], vecs[:3])
    cold_cache("b")
    assert np.array_equal(E.embed(TEXTS)[0], vecs)
