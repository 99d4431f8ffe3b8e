"""Back-translation (Apertium markup, marker-model matching), `xlner tag`, the NMT score, translate-test scoring."""
import json

import numpy as np
import pytest

from conftest import ROOT, project_lines
from xlner.formats.conll import read_conll, spans_from_tags
from xlner.formats.decoding import decode
from xlner.mt.backtranslate import (
    ApertiumMarkupTranslator,
    back_translate_apertium,
    from_marked_html,
    match_entities,
    to_marked_html,
)


def test_fuzzy_entity_matching_takes_the_best_match_not_the_last():
    # Both pool entries are above 0.5 for "[Banco de España]"; the authors' code keeps the last one above the
    # threshold (PER here); the best match is the ORG.
    pool = [("Banco de España", "ORG"), ("Banco de Españoles", "PER")]
    words, tags, counts = match_entities("El [Banco de España] subió los tipos .", pool)
    assert words == ["El", "Banco", "de", "España", "subió", "los", "tipos", "."]
    assert tags == ["O", "B-ORG", "I-ORG", "I-ORG", "O", "O", "O", "O"]
    # Each entity is used once; a span with no match above the threshold keeps its words, without brackets.
    words, tags, counts = match_entities("[Ana] y [Ana] en [zzz]", [("Ana", "PER"), ("Luis", "PER")])
    assert words == ["Ana", "y", "Ana", "en", "zzz"]
    assert tags == ["B-PER", "O", "O", "O", "O"]
    assert counts == {"unmatched_spans": 2, "entities_out": 1}


def test_html_markup_round_trip_escapes_and_merges_pieces():
    tokens = ["AT&T", "<b>", "met", "Ana", "Pérez"]
    tags = ["B-ORG", "O", "O", "B-PER", "I-PER"]
    marked = to_marked_html(tokens, tags)
    assert marked == '<p><span class="ORG e0">AT&amp;T</span> &lt;b&gt; met <span class="PER e1">Ana Pérez</span></p>'
    words, back, counts = from_marked_html(marked)
    assert back[0] == "B-ORG" and back[-2:] == ["B-PER", "I-PER"] and counts["split_entities"] == 0
    # An entity split into non-adjacent pieces keeps its longest piece and is counted.
    words, back, counts = from_marked_html('<p><span class="PER e0">Ana</span> dijo <span class="PER e0">'
                                           'María Pérez</span></p>')
    assert back == ["O", "O", "B-PER", "I-PER"] and counts["split_entities"] == 1


def _english_with_entities(n):
    sentences, _ = read_conll(ROOT / "data" / "wikiann" / "en" / "train.tsv", "iob2", {}, None, max_sentences=400)
    return [s for s in sentences if spans_from_tags(s.tags) and len(s.tokens) >= 5][:n]


@pytest.mark.apertium("eng-spa")
def test_apertium_markup_carries_labels_through_real_translations():
    translator = ApertiumMarkupTranslator("eng-spa", batch_size=40)
    example = ("Barack Obama visited Microsoft headquarters in Seattle with Angela Merkel .".split(),
               ["B-PER", "I-PER", "O", "B-ORG", "O", "O", "B-LOC", "O", "B-PER", "I-PER", "O"])
    (result,), counts = back_translate_apertium([example], translator)
    words, tags = result
    assert " ".join(words) == "Barack Obama visitó sede de Microsoft en Seattle con Angela Merkel ."
    assert [(" ".join(words[a:b]), k) for a, b, k in spans_from_tags(tags)] == [
        ("Barack Obama", "PER"), ("Microsoft", "ORG"), ("Seattle", "LOC"), ("Angela Merkel", "PER")]

    real = _english_with_entities(100)
    results, counts = back_translate_apertium([(s.tokens, s.tags) for s in real], translator)
    assert counts["failed"] == 0 and counts["sentences"] == 100
    assert counts["entities_out"] >= 0.9 * counts["entities_in"]  # offline.md A.1: labels survive transfer
    assert counts["entities_lost"] == counts["entities_in"] - counts["entities_out"]
    same_labels = sum(sorted(k for *_, k in spans_from_tags(s.tags)) == sorted(k for *_, k in spans_from_tags(t))
                      for s, (_, t) in zip(real, results))
    assert same_labels >= 80


@pytest.mark.apertium("eng-spa")
def test_back_translate_command_keeps_the_target_side(tmp_path):
    from xlner.settings import BackTranslationSettings
    from xlner.stages.mt import back_translate

    real = _english_with_entities(5)
    lines = [{"id": str(i), "src_tokens": s.tokens, "src_tags": s.tags, "tgt_tokens": ["x", "y"],
              "tgt_candidates": [[0, 1, "PER"]], "alignment": [[0, 0]]} for i, s in enumerate(real)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    back_translate(tmp_path / "in.jsonl", tmp_path / "bt.jsonl", tmp_path / "bt.json",
                   BackTranslationSettings(backend="apertium", mode="eng-spa"))
    out = [json.loads(line) for line in (tmp_path / "bt.jsonl").read_text().splitlines()]
    assert [o["english_tokens"] for o in out] == [s.tokens for s in real]
    assert all(o["tgt_tokens"] == ["x", "y"] and o["tgt_candidates"] == [[0, 1, "PER"]] for o in out)
    assert all("alignment" not in o and len(o["src_tags"]) == len(o["src_tokens"]) > 0 for o in out)
    stats = json.loads((tmp_path / "bt.json").read_text())
    assert stats["backend"]["mode"] == "eng-spa" and stats["sentences"] == 5


# ---------------------------------------------------------------- model-backed stages, tiny models

@pytest.fixture(scope="module")
def tiny_tagger(tmp_path_factory, tiny_encoder):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    labels = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    model = AutoModelForTokenClassification.from_pretrained(
        tiny_encoder, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)})
    path = tmp_path_factory.mktemp("tagger") / "tagger"
    model.save_pretrained(path)
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(path)
    return path


def test_tag_command_writes_candidates_and_probabilities_that_projection_reads(tmp_path, tiny_tagger):
    from xlner.stages.projection import tag

    lines = [{"id": "0", "src_tokens": ["Ana", "lives", "in", "Rome"], "tgt_tokens": ["Ana", "vive", "en", "Roma"],
              "alignment": [[0, 0], [1, 1], [2, 2], [3, 3]]},
             {"id": "1", "src_tokens": ["Bob"], "tgt_tokens": ["Bob", "!"], "alignment": [[0, 0]]}]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    tag(tmp_path / "a.jsonl", tmp_path / "t.jsonl", tmp_path / "t.json", str(tiny_tagger), "both", ["PER", "ORG", "LOC"])
    out = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    for record in out:
        probs = np.array(record["tgt_label_probs"]["probs"])
        assert probs.shape == (len(record["tgt_tokens"]), 7)
        assert np.allclose(probs.sum(1), 1, atol=1e-3)
        assert len(record["src_tags"]) == len(record["src_tokens"])
        # the candidates are the spans of the probabilities' constrained IOB2 decoding (formats/decoding.py)
        decoded = decode(probs, record["tgt_label_probs"]["labels"])
        assert [tuple(c) for c in record["tgt_candidates"]] == [tuple(s) for s in spans_from_tags(decoded)]
    for method, match in (("ner-candidates", {}), ("ngram", {"score": "fused"}), ("ngram", {"score": "ner"})):
        project_lines(tmp_path / "t.jsonl", tmp_path / "p.jsonl", None, tmp_path / "p.json", method, **match)
        projected = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
        assert [len(p["tgt_tags"]) for p in projected] == [4, 2]


def test_a_student_tags_the_lines_again_keeping_the_teachers_spans_for_vote(tmp_path, tiny_tagger):
    from xlner.errors import InputError
    from xlner.stages.projection import tag

    line = {"id": "0", "src_tokens": ["Ana", "vive"], "src_tags": ["B-PER", "O"], "tgt_tokens": ["Ana", "bizi"],
            "alignment": [[0, 0], [1, 1]], "tgt_candidates": [[0, 1, "PER"]]}
    (tmp_path / "a.jsonl").write_text(json.dumps(line) + "\n")
    tag(tmp_path / "a.jsonl", tmp_path / "t.jsonl", tmp_path / "t.json", str(tiny_tagger), "tgt", ["PER", "ORG", "LOC"],
        keep_teacher=True)
    tagged = json.loads((tmp_path / "t.jsonl").read_text())
    assert tagged["teacher_candidates"] == [[0, 1, "PER"]] and "tgt_label_probs" in tagged
    project_lines(tmp_path / "t.jsonl", tmp_path / "p.jsonl", None, tmp_path / "s.json", "heuristic",
                  combine="vote", combine_with="projection/heuristic")
    projected = json.loads((tmp_path / "p.jsonl").read_text())["tgt_tags"]
    stats = json.loads((tmp_path / "s.json").read_text())
    # the projection and the teacher agree on Ana: kept whatever the student says
    assert projected[0] == "B-PER" and stats["spans_from_zero_shot"] == 1 and stats["spans_from_projection"] == 1
    # lines without the teacher's spans: refused by name, and nothing written
    del line["tgt_candidates"]
    (tmp_path / "b.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(InputError, match="tgt_candidates"):
        tag(tmp_path / "b.jsonl", tmp_path / "u.jsonl", tmp_path / "u.json", str(tiny_tagger), "tgt", ["PER", "ORG", "LOC"],
            keep_teacher=True)
    with pytest.raises(InputError, match="teacher_candidates.*--keep-teacher"):
        project_lines(tmp_path / "a.jsonl", tmp_path / "q.jsonl", None, tmp_path / "q.json", "heuristic",
                      combine="vote", combine_with="projection/heuristic")
    assert not (tmp_path / "u.jsonl").exists() and not (tmp_path / "q.jsonl").exists()


def test_nmt_score_is_symmetric_normalised_and_cached(tiny_seq2seq):
    from xlner.mt.nmtscore import NMTScorer

    scorer = NMTScorer(tiny_seq2seq)
    same = scorer.similarities(["Barack Obama", "Madrid"], ["Barack Obama", "Madrid"])
    assert np.allclose(same, 1.0)  # P(A|A) / P(A|A) in both directions
    forward = scorer.similarities(["Barack Obama"], ["Madrid"])
    backward = scorer.similarities(["Madrid"], ["Barack Obama"])
    assert forward[0] > 0 and forward[0] == pytest.approx(backward[0])
    assert len(scorer.cache) == 4


def test_projection_with_the_nmt_score(tmp_path, tiny_seq2seq):
    line = {"id": "0", "src_tokens": ["Ana", "Pérez", "sings"], "src_tags": ["B-PER", "I-PER", "O"],
            "tgt_tokens": ["Ana", "Pérez", "canta"], "alignment": [[0, 0], [1, 1], [2, 2]]}
    (tmp_path / "a.jsonl").write_text(json.dumps(line) + "\n")
    project_lines(tmp_path / "a.jsonl", tmp_path / "p.jsonl", None, tmp_path / "s.json", "ngram", score="nmt",
                  nmt_threshold=0.0, nmt={"model": str(tiny_seq2seq)})
    tags = json.loads((tmp_path / "p.jsonl").read_text())["tgt_tags"]
    # The pick is the n-gram the scorer rates most similar to "Ana Pérez" (a random model: any span may win).
    from xlner.mt.nmtscore import NMTScorer

    grams = [(a, b) for a in range(3) for b in range(a + 1, 4)]
    sims = NMTScorer(tiny_seq2seq).similarities(["Ana Pérez"] * len(grams),
                                                [" ".join(line["tgt_tokens"][a:b]) for a, b in grams])
    a, b = grams[int(np.argmax(sims))]
    assert tags == ["O"] * a + ["B-PER"] + ["I-PER"] * (b - a - 1) + ["O"] * (3 - b)
    assert json.loads((tmp_path / "s.json").read_text())["nmt"]["model"] == str(tiny_seq2seq)
    with pytest.raises(ValueError, match="nmt score needs a seq2seq model"):
        project_lines(tmp_path / "a.jsonl", tmp_path / "q.jsonl", None, tmp_path / "q.json", "ngram", score="nmt")


# ---------------------------------------------------------------- translate-test scoring

def test_score_projection_counts_missing_lines_and_projection_ratio(tmp_path):
    from xlner.stages.projection import score_projection

    (tmp_path / "gold.conll").write_text("Ana B-PER\ncanta O\n\nen O\nRoma B-LOC\n\nnada O\n\n")
    lines = [{"id": "0", "tgt_tokens": ["Ana", "canta"], "tgt_tags": ["B-PER", "O"]},
             {"id": "2", "tgt_tokens": ["nada"], "tgt_tags": ["B-ORG"]}]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    score_projection(tmp_path / "p.jsonl", tmp_path / "gold.conll", tmp_path / "m.json")
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["sentences_without_line"] == 1  # sentence 1 (en Roma) had no line: all O
    assert metrics["precision"] == 50.0 and metrics["recall"] == 50.0
    assert metrics["proj_ratio"] == round((1 + 0 + 0) / 3, 4)  # 1/1, 0/1, and gold 0 but predicted 1 -> 0
