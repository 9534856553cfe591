#!/usr/bin/env python3
"""Validate the hand-written paraphrase question sets (stdlib only)."""
import json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, '..', '..', 'seeds', '000_9c80ba997a9c7279.txt')
SQUAD = '/work/shared/data/squad-dev-v1.1.json'
KINDS = {'type', 'synonym', 'quote-description', 'number', 'date', 'place',
         'person', 'reason', 'other'}
STOP = set("""
a about above after again against all also am an and any are aren as at be because been before being
below between both but by can cannot could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how into is isn it its itself just let me more
most much must my myself no nor not now of off on once only or other ought our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these they this
those through to too under until up upon very was were what when where which while who whom whose why
will with would you your yours yourself yourselves many kind type sort called name named since per
among across along around near within without toward towards via onto else ever
""".split())

def stem(w):
    for suf in ('ing', 'ed', 'es', 's', 'ly'):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            return w[:-len(suf)]
    return w

def content(text):
    words = re.findall(r"[a-z]+", text.lower())
    return {stem(w) for w in words if len(w) >= 3 and w not in STOP}

def overlap(q, s):
    qc = content(q)
    if not qc:
        return 0.0, 0
    sc = content(s)
    shared = qc & sc
    return len(shared) / len(qc), len(shared)

def check_set(name, items, texts_for):
    errors = []
    seen = set()
    arts = set()
    ovs, zero, le1 = [], 0, 0
    for i, it in enumerate(items):
        q = it.get('question', '')
        s = it.get('answer_sentence', '')
        if it.get('kind') not in KINDS:
            errors.append(f'{name}[{i}] bad kind {it.get("kind")!r}')
        key = q.strip().lower()
        if key in seen:
            errors.append(f'{name}[{i}] duplicate question {q!r}')
        seen.add(key)
        ok, art = texts_for(it, errors, i)
        if ok is not None:
            if not any(s in t for t in ok):
                errors.append(f'{name}[{i}] answer_sentence not found: {s[:70]!r}')
        arts.add(art)
        r, n = overlap(q, s)
        ovs.append(r)
        zero += (n == 0)
        le1 += (n <= 1)
    n = len(items)
    print(f'{name}: {n} questions, {len(arts)} article(s), mean content-word overlap '
          f'{sum(ovs)/max(n,1):.3f}, zero-overlap {zero}/{n} = {zero/max(n,1):.1%}, '
          f'<=1 shared word {le1}/{n} = {le1/max(n,1):.1%}')
    return errors

def main():
    all_err = []
    seed_text = open(SEED, encoding='utf-8').read()
    data = json.load(open(SQUAD, encoding='utf-8'))['data']

    def seed_texts(it, errors, i):
        return [seed_text], 'seed'

    def squad_texts(parity):
        def f(it, errors, i):
            a = it.get('article')
            if not isinstance(a, int) or not 0 <= a < len(data):
                errors.append(f'{parity}[{i}] bad article {a!r}')
                return None, a
            if a % 2 != (1 if parity == 'odd' else 0):
                errors.append(f'{parity}[{i}] article {a} has wrong parity')
            if it.get('title') != data[a]['title']:
                errors.append(f'{parity}[{i}] title {it.get("title")!r} != {data[a]["title"]!r}')
            return [p['context'] for p in data[a]['paragraphs']], a
        return f

    for name, fn in (('seed', seed_texts), ('odd', squad_texts('odd')),
                     ('even', squad_texts('even'))):
        path = os.path.join(HERE, name + '.json')
        if not os.path.exists(path):
            all_err.append(f'{name}.json missing')
            continue
        items = json.load(open(path, encoding='utf-8'))
        all_err += check_set(name, items, fn)

    path = os.path.join(HERE, '..', '..', 'src', 'qa', 'data', 'offtopic.json')  # shipped: qa/answerable.py calibrates with it
    if os.path.exists(path):
        off = json.load(open(path, encoding='utf-8'))
        if not all(isinstance(x, str) for x in off):
            all_err.append('offtopic.json: not all strings')
        uniq = {x.strip().lower() for x in off if isinstance(x, str)}
        print(f'offtopic: {len(off)} strings, {len(uniq)} unique')
        if len(uniq) < 300:
            all_err.append(f'offtopic.json: only {len(uniq)} unique strings (<300)')
        if len(uniq) != len(off):
            all_err.append('offtopic.json: duplicates present')
    else:
        all_err.append('offtopic.json missing')

    for e in all_err:
        print('ERROR:', e)
    print('ALL CHECKS PASSED' if not all_err else f'{len(all_err)} error(s)')
    return 1 if all_err else 0

if __name__ == '__main__':
    sys.exit(main())
