

# ---------------------------------------------------------------------------------------------
# Library: the model's hard attention, lookups and float32 arithmetic
# ---------------------------------------------------------------------------------------------


def select_closest(keys, queries, predicate):
    """For each query, select the nearest matching key: the left one on equal distance, the
    query itself only if it is the only match, position 0 (BOS) when nothing matches."""
    n = len(keys)
    attention = []
    for i, q in enumerate(queries):
        allowed = range(i + 1) if CAUSAL else range(n)
        matches = [j for j in allowed if predicate(q, keys[j])]
        others = [j for j in matches if j != i]
        if others:
            chosen = min(others, key=lambda j: (abs(j - i), j))
        elif matches:
            chosen = i
        else:
            chosen = 0
        attention.append([j == chosen for j in range(n)])
    return attention


def select(keys, queries, predicate):
    """For each query, select every allowed key that matches."""
    n = len(keys)
    return [
        [(j <= i or not CAUSAL) and bool(predicate(q, keys[j])) for j in range(n)]
        for i, q in enumerate(queries)
    ]


def aggregate(attention, values):
    """Copy the value at the selected key."""
    return [values[row.index(True)] for row in attention]


def aggregate_sum(attention, values):
    """Sum the values at every selected key."""
    return [sum(v for v, selected in zip(values, row) if selected) for row in attention]


def _check_domain(module, values, domains):
    """Numerical MLP tables are exact on their domains; anything else is an error."""
    for value, (low, high) in zip(values, domains):
        if not low <= value <= high:
            raise ValueError(f"{module}: input {value} outside its domain {low}..={high}")


def _lookup_runs(module, values, domains, runs):
    """Look up a run-length encoded table (runs of (end, output) over the row-major grid)."""
    _check_domain(module, values, domains)
    index = 0
    for value, (low, high) in zip(values, domains):
        index = index * (high - low + 1) + (value - low)
    return runs[bisect.bisect_right([end for end, _ in runs], index)][1]


def _by_value(groups):
    """Inverts {value: [tokens]} into {token: value}."""
    return {token: value for value, tokens in groups.items() for token in tokens}


def _f32(x):
    """Round to the nearest float32, as the model's arithmetic does."""
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


def _check_input(tokens):
    tokens = list(tokens)
    if not tokens:
        raise ValueError("the input is empty: a program runs on at least one token")
    if len(tokens) > N_CTX:
        raise ValueError(f"the input has {len(tokens)} tokens but n_ctx is {N_CTX}")
    for position, token in enumerate(tokens):
        if token == "<pad>":
            raise ValueError(f"the padding token at position {position} cannot be an input")
        if token not in INPUT_VOCAB:
            raise ValueError(f"token {token!r} at position {position} is not in the input vocabulary")
    return tokens


# A sequence classifier's program sets this to True after the library.
POOLED = False
# A program learned on text sets this after the library: how words become tokens.
TEXT = None


def run_words(words):
    """A sentence given as words (already tokenized): one label per word, or for a sequence
    classifier the sentence's label. Words are normalised as the training data were, words
    outside the vocabulary become the unknown-word token, and the sentence markers are added."""
    import re

    if TEXT is None:
        raise ValueError("this program was not learned on text: give its input as tokens")
    words = list(words)
    if not words:
        raise ValueError("the input is empty: a program runs on at least one word")
    vocabulary = set(INPUT_VOCAB) - {"<pad>"}
    tokens = [TEXT["bos"]] if TEXT["bos"] else []
    for word in words:
        if TEXT["lower"]:
            word = word.lower()
        if TEXT["replace_numbers"]:
            word = re.sub(r"\d+", "@", word)
        tokens.append(word if word in vocabulary else TEXT["unknown"])
    if TEXT["eos"]:
        tokens.append(TEXT["eos"])
    labels = run(tokens)
    if POOLED:
        return labels[:1]
    start = 1 if TEXT["bos"] else 0
    return labels[start:start + len(words)]


def _classify(values, n, return_logits):
    """logit[c] = sum over FEATURES in order, in float32, left to right; argmax over the
    classes that are not masked, lowest class on ties."""
    predictions, logits = [], []
    for i in range(n):
        row = _pooled_logits(values) if POOLED and i == 0 else _position_logits(values, i)
        best = None
        for c, logit in enumerate(row):
            if CLASSES[c] not in MASKED_CLASSES and (best is None or logit > row[best]):
                best = c
        predictions.append(CLASSES[best])
        logits.append(row)
    return (predictions, logits) if return_logits else predictions


def _position_logits(values, i):
    """The logits of position i from its own features."""
    row = [0.0] * len(CLASSES)
    for name, numerical in FEATURES:
        if numerical:
            x = _f32(float(values[name][i]))
            weights = CLASSIFIER_WEIGHTS[(name, "_")]
            row = [_f32(acc + _f32(x * w)) for acc, w in zip(row, weights)]
        else:
            weights = CLASSIFIER_WEIGHTS[(name, values[name][i])]
            row = [_f32(acc + w) for acc, w in zip(row, weights)]
    return row


def _value_index(value):
    """A categorical value's index: its place in INPUT_VOCAB for a token, else itself."""
    return INPUT_VOCAB.index(value) if isinstance(value, str) else value


def _pooled_logits(values):
    """Position 0 of a sequence classifier: the features' mean over the positions, divided by
    the padded width N_CTX as the model does; categorical values in increasing order."""
    row = [0.0] * len(CLASSES)
    for name, numerical in FEATURES:
        if numerical:
            total = 0.0
            for value in values[name]:
                total = _f32(total + _f32(float(value)))
            terms = [(_f32(total / N_CTX), CLASSIFIER_WEIGHTS[(name, "_")])]
        else:
            counts = {}
            for value in values[name]:
                counts[value] = counts.get(value, 0) + 1
            terms = [
                (_f32(count / N_CTX), CLASSIFIER_WEIGHTS[(name, value)])
                for value, count in sorted(counts.items(), key=lambda item: _value_index(item[0]))
            ]
        for x, weights in terms:
            row = [_f32(acc + _f32(x * w)) for acc, w in zip(row, weights)]
    return row
