"""Proof that a refactor changed no answer: dump every bundled model's answers, then compare.

    PYTHONPATH=OLD_CHECKOUT python benchmarks/answers_fingerprint.py dump old.pkl
    PYTHONPATH=. python benchmarks/answers_fingerprint.py dump new.pkl
    python benchmarks/answers_fingerprint.py compare old.pkl new.pkl

A dump holds, per bundled calculator model, the answers (text, per-character confidences,
working steps) on its test split (up to 10,000 expressions) and on 3,003 random inputs of its
task, the same answered one at a time for 60 of them, the raw logits of 303, and one
inspection (encoder states, attention); and the recognizer's readings of 1,000 synthetic
lines. It imports either layout (before and after the redesign), so one script serves both.
"""
import pickle
import random
import sys

import numpy as np


def dump(path):
    def imp(*names):
        import importlib
        for n in names:
            try:
                return importlib.import_module(n)
            except ImportError:
                continue
        raise ImportError(names)
    reg = imp("calcapp.nets.registry", "calcapp.ml.registry")
    inf = imp("calcapp.arithmetic.predictor", "calcapp.ml.inference")
    dg = imp("calcapp.expr.datagen", "calcapp.core.datagen")
    out = {}
    rng = random.Random(3)
    for info in reg.list_models():
        pred = inf.load_predictor(info)
        ex = [e.text for e in dg.generate(info.task, 10000, seed=0, split="test")]
        rnd = [dg.random_expression(info.task, rng) for _ in range(3003)]
        texts = ex + rnd
        ps = pred.predict(texts)
        singles = [pred.predict([t])[0] for t in texts[:60]]
        ids = pred.encode(texts[:303])
        lg = np.asarray(pred.logits(ids)["logits"])
        insp = pred.inspect(texts[0])
        out[info.name] = dict(texts=texts, answers=[(p.text, tuple(p.confidence), p.steps) for p in ps],
                              singles=[(p.text, tuple(p.confidence), p.steps) for p in singles], logits=lg,
                              insp=(insp.input_chars, insp.encoder_states, insp.attention, insp.output_chars))
        print(info.name, len(texts), sum(1 for p, t in zip(ps, texts) if p.text == info.task.target(t) if True))
    # recognizer on synthetic lines
    rec = imp("calcapp.handwriting.recognizer", "calcapp.ml.recognizer").load_recognizer()
    synth = imp("calcapp.ink.synth", "calcapp.core.synth_ink")
    import inspect as _i
    readings = []
    r2 = random.Random(5)
    for k in range(1000):
        text = "".join(r2.choice("0123456789+-*/") for _ in range(r2.randint(1, 9)))
        strokes, _ = synth.synth_line(text, np.random.default_rng(k))
        rd = rec.read_strokes(strokes)
        readings.append((rd.expression, [(s.label, round(s.confidence, 6)) for s in rd.symbols]))
    out["recognizer"] = readings
    pickle.dump(out, open(path, "wb"))


def compare(old, new):
    a, b = pickle.load(open(old, "rb")), pickle.load(open(new, "rb"))
    ok = True
    for k in a:
        if k == 'recognizer':
            same = a[k] == b[k]; print('recognizer readings identical:', same, len(a[k])); ok &= same; continue
        x, y = a[k], b[k]
        same_ans = x['answers'] == y['answers']; same_single = x['singles'] == y['singles']
        d = float(np.max(np.abs(x['logits'] - y['logits']))) if x['logits'].shape == y['logits'].shape else float('inf')
        ia, ib = x['insp'], y['insp']
        att = 0.0 if ia[2] is None and ib[2] is None else float(np.max(np.abs(np.asarray(ia[2]) - np.asarray(ib[2]))))
        st = float(np.max(np.abs(ia[1] - ib[1])))
        print(f"{k}: answers identical {same_ans} ({len(x['answers'])}), singles {same_single}, max|dlogit| {d:.2e}, inspect states {st:.1e} attention {att:.1e}, chars {ia[0]==ib[0] and ia[3]==ib[3]}")
        ok &= same_ans and same_single and d <= 1e-5 and att <= 1e-5
    print('ALL OK' if ok else 'DIFFERENT')
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["dump"]:
        dump(sys.argv[2])
    else:
        sys.exit(compare(sys.argv[2], sys.argv[3]))
