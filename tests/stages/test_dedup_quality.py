"""Decision rules calibrated on benchmarks/dedup_eval.py (issue 18): template answers with other names, negation
flips against negations in a dropped sentence."""
from curate.config import NearDedupConfig
from curate.normalise import mask_names, negation_flip
from curate.records import Message, Provenance, Record
from curate.stages.near.minhash import dedup_near


def chat(prompt, answer, line):
    msgs = [Message(role="user", content=prompt), Message(role="assistant", content=answer)]
    return Record(kind="instruction", messages=msgs,
                  provenance=Provenance(source="c.jsonl", locator=f"line {line}", sha256="0" * 64)).with_id()


def test_names_are_masked_but_sentence_starts_are_not():
    assert mask_names("I am Echo, an AI assistant trained by Hooli.")[0] == \
        mask_names("I am Sage, an AI assistant trained by Umbrella Labs.")[0]
    assert mask_names("Hello. The cat sat.")[1] == 0  # sentence-initial capitals are no slot
    assert mask_names("您好,我是 Nova,一个由 Globex 开发的 AI 助手")[1] == 3
    assert mask_names("What is 2 + 3?")[0] != mask_names("What is 4 + 7?")[0]  # numbers are no slot
    assert mask_names("Hello.  My name is Bob Smith.\nThe End") == ("Hello.  My name is \u2980.\nThe \u2980", 2)


def test_same_prompt_same_template_other_names_is_one_example():
    records = [chat("Can you introduce yourself?", "I am Echo, an AI assistant trained by Hooli. How can I help?", 1),
               chat("Can you introduce yourself?", "I am Sage, an AI assistant trained by Initech. How can I help?", 2),
               chat("你好", "您好,我是 Nova,一个由 Globex 开发的 AI 助手,很高兴认识您。请问我能为您做些什么?", 3),
               chat("你好", "您好,我是 Orion,一个由 Umbrella AI 开发的 AI 助手,很高兴认识您。请问我能为您做些什么?", 4),
               # other prompts: another question, even with the same answer template
               chat("What is the capital of France?", "The capital of France is Paris, on the Seine river.", 5),
               chat("What is the capital of Italy?", "The capital of Italy is Rome, on the Tiber river.", 6),
               # the template with a negation flipped is another answer
               chat("Can you introduce yourself?", "I am Nova, an AI assistant trained by Globex. How can't I help?", 7)]
    result = dedup_near(records, NearDedupConfig())
    assert sorted(r.provenance.locator for r in result.rejected) == ["line 2", "line 4"]
    assert result.stats["template_pairs"] == 2
    off = dedup_near(records, NearDedupConfig(template_names=False))
    assert "line 4" not in {r.provenance.locator for r in off.rejected} and off.stats["template_pairs"] == 0


def test_negation_flip_is_local():
    assert negation_flip("I can verify my identity", "I can't verify my identity")
    assert negation_flip("I can't verify my identity", "I won't verify my identity")
    assert negation_flip("The light is green", "The light is not green")
    assert not negation_flip("I can't verify my identity", "I cannot verify my identity")
    assert not negation_flip("The plan doesn't fit our strategy.", "The plan does not fit our strategy.")
    long = ("As an AI, I do not have personal memories. My answers are based on data, so I am not able to describe "
            "a moment in my life. However, I can help you reflect on one of yours.")
    dropped = "As an AI, I do not have personal memories. However, I can help you reflect on one of yours."
    assert not negation_flip(long, dropped)  # a negation in a dropped sentence is no flip


def test_answer_with_a_dropped_negated_sentence_is_still_a_duplicate():
    prompt = "Describe a memorable moment in your life."
    answer = ("As an AI, I do not have personal experiences or memories in the same way that a human would. My "
              "capabilities are based on programming and data input, so I am not able to describe a memorable moment "
              "in my life. However, I am able to provide advice and assistance to help you reflect on a memorable "
              "moment in your life, and to put it into words that you can share with the people around you.")
    shorter = answer.replace("My capabilities are based on programming and data input, so I am not able to describe a "
                             "memorable moment in my life. ", "")
    result = dedup_near([chat(prompt, answer, 1), chat(prompt, shorter, 2)], NearDedupConfig())
    assert [r.provenance.locator for r in result.rejected] == ["line 2"]


def test_other_numbers_in_place_are_another_example():
    from curate.normalise import number_flip

    assert number_flip("What is 2 + 3?", "What is 4 + 7?")
    assert number_flip("The index was off 24.44 points at 1,739.87.", "The index was off 25.36 points at 1,628.26.")
    assert not number_flip("Shares fell 12 cents to 6.88 as of 3:59 p.m.", "Shares fell 12 cents to 6.88 on the Nasdaq.")
    assert not number_flip("Sales rose. In 2003 they doubled. Costs fell.", "Sales rose. Costs fell.")
    base = ("Restart the router, wait {n} minutes, then open the admin page and check that the wireless band is set "
            "to automatic; if the light still blinks orange, reset it with a pin for ten seconds.")
    records = [chat("My router blinks orange. What now?", base.format(n=2), 1),
               chat("My router blinks orange. What now?", base.format(n=5), 2)]
    result = dedup_near(records, NearDedupConfig())
    assert result.rejected == [] and result.stats["kept_apart.number"] == 1
    assert len(dedup_near(records, NearDedupConfig(numbers=False)).rejected) == 1
