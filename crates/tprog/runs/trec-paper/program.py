# Transformer Program: trec
"""A Transformer Program written by tprog (program format 1).

Self-contained: Python standard library only, weights included, nothing runs on import.
`run(tokens)` returns one label per position; `run(tokens, return_logits=True)` also
returns the logits. `run_words(words)` takes a sentence as words.
Command line: python3 this_file.py "EU rejects German call"
"""

import bisect
import struct
import sys

INPUT_VOCAB = ["<pad>", "<unk>", "<s>", "thing", "?", "</s>", "How", "many", "Who", "wrote", "Where", "is", "10", "15", "28", "11", "18", "29", "27", "35", "37", "2", "39", "30", "34", "16", "36", "8", "13", "5", "17", "14", "33", "7", "32", "1", "26", "12", "31", "24", "6", "23", "21", "19", "9", "38", "3", "0"]
CLASSES = ["<pad>", "<unk>", "HUM", "LOC", "NUM"]
MASKED_CLASSES = {"<pad>", "<unk>"}
N_CTX = 7
CAUSAL = False


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


# Learned on text: run_words(words) turns a sentence into tokens with these rules.
TEXT = {"bos": "<s>", "eos": "</s>", "unknown": "<unk>", "replace_numbers": False, "lower": False}


# A sequence classifier: position 0's label comes from the mean of every position's features.
POOLED = True


# var0_embeddings: a value per token (48 tokens, 8 values), listed by value
_EMBEDDING_var0_embeddings = _by_value({
    0: ["<unk>", "wrote", "5"],
    1: ["<s>", "thing", "10", "37", "13", "7", "19"],
    2: ["How", "18", "24", "6", "9"],
    3: ["?", "is", "8", "17", "14", "32", "23"],
    4: ["many", "27", "2", "39", "30", "36", "33", "26", "21", "38", "3"],
    5: ["Who", "11", "29", "35"],
    6: ["<pad>", "</s>", "15", "12", "0"],
    7: ["Where", "28", "34", "16", "1", "31"],
})


# var1_embeddings: a value per token (48 tokens, 8 values), listed by value
_EMBEDDING_var1_embeddings = _by_value({
    0: ["?", "5"],
    1: ["wrote", "35", "2", "39", "8", "14", "32", "26"],
    2: ["<pad>", "<unk>", "thing", "Who", "is", "11", "29", "37", "13", "7", "1", "38"],
    3: ["33", "9", "0"],
    4: ["<s>", "30", "17", "24", "23"],
    5: ["How", "36"],
    6: ["</s>", "Where", "15", "27", "12", "6", "21", "3"],
    7: ["many", "10", "28", "18", "34", "16", "31", "19"],
})


# var2_embeddings: a value per token (48 tokens, 8 values), listed by value
_EMBEDDING_var2_embeddings = _by_value({
    0: ["?", "Who", "11", "8", "17", "14", "6", "23"],
    1: ["<pad>", "thing", "Where"],
    2: ["</s>", "13"],
    3: ["wrote", "29", "35", "2", "39", "33", "26", "38"],
    4: ["is", "10", "28", "16", "36", "7", "31", "19"],
    5: ["many", "27", "30", "24", "21", "9"],
    6: ["<unk>", "How", "15", "18", "5", "32", "12", "3", "0"],
    7: ["<s>", "37", "34", "1"],
})


# var3_embeddings: a value per token (48 tokens, 8 values), listed by value
_EMBEDDING_var3_embeddings = _by_value({
    0: ["<pad>", "?", "Where", "28", "29", "35", "13", "17", "7", "1", "19"],
    1: ["Who", "11", "37", "5", "14", "23", "21", "38"],
    2: ["10", "8", "26"],
    3: ["wrote", "2", "32"],
    4: ["How", "is", "18", "39", "34", "16"],
    5: ["<s>", "many", "36", "33", "12", "31", "24", "3"],
    6: ["thing", "</s>", "27", "6", "9", "0"],
    7: ["<unk>", "15", "30"],
})


# ------------------------------------------ layer 0 ------------------------------------------


# attn_0_0_outputs: query var1_embeddings, key var3_embeddings, copies var2_embeddings from the closest match

def predicate_0_0(var1_embedding, var3_embedding):
    if var1_embedding in {0, 7}:
        return var3_embedding == 7
    elif var1_embedding in {1}:
        return var3_embedding == 0
    elif var1_embedding in {2, 4}:
        return var3_embedding == 6
    elif var1_embedding in {3}:
        return var3_embedding == 2
    elif var1_embedding in {5}:
        return var3_embedding == 5
    elif var1_embedding in {6}:
        return var3_embedding == 4
    return False


# attn_0_1_outputs: query var1_embeddings, key positions, copies var3_embeddings from the closest match

def predicate_0_1(var1_embedding, position):
    if var1_embedding in {0}:
        return position == 7
    elif var1_embedding in {1, 4}:
        return position == 6
    elif var1_embedding in {2, 6}:
        return position == 2
    elif var1_embedding in {3}:
        return position == 3
    elif var1_embedding in {5}:
        return position == 1
    elif var1_embedding in {7}:
        return position == 4
    return False


# attn_0_2_outputs: query var0_embeddings, key var1_embeddings, copies var1_embeddings from the closest match

def predicate_0_2(var0_embedding, var1_embedding):
    if var0_embedding in {0}:
        return var1_embedding == 5
    elif var0_embedding in {1, 2}:
        return var1_embedding == 7
    elif var0_embedding in {3}:
        return var1_embedding == 6
    elif var0_embedding in {4}:
        return var1_embedding == 2
    elif var0_embedding in {5, 6, 7}:
        return var1_embedding == 0
    return False


# attn_0_3_outputs: query var1_embeddings, key var3_embeddings, copies var3_embeddings from the closest match

def predicate_0_3(var1_embedding, var3_embedding):
    if var1_embedding in {0, 1, 3, 6}:
        return var3_embedding == 7
    elif var1_embedding in {2, 5}:
        return var3_embedding == 4
    elif var1_embedding in {4}:
        return var3_embedding == 0
    elif var1_embedding in {7}:
        return var3_embedding == 6
    return False


# mlp_0_0_outputs: a table over (attn_0_2_outputs, attn_0_0_outputs)

def mlp_0_0(attn_0_2_output, attn_0_0_output):
    _key = (attn_0_2_output, attn_0_0_output)
    if _key in {(1, 0), (1, 1), (2, 0), (2, 1), (2, 6), (2, 7), (3, 7), (5, 0), (7, 0), (7, 1), (7, 6),
        (7, 7)}:
        return 6
    elif _key in {(1, 4), (1, 6), (2, 4), (3, 4), (4, 1), (4, 4), (4, 6), (4, 7), (5, 1), (5, 4), (7, 4)}:
        return 5
    elif _key in {(0, 1), (0, 2), (2, 2), (2, 3), (2, 5), (3, 1), (3, 2), (7, 3), (7, 5)}:
        return 7
    elif _key in {(0, 0), (0, 3), (0, 4), (0, 5), (0, 6), (3, 0), (3, 3)}:
        return 4
    elif _key in {(3, 6), (5, 6)}:
        return 0
    return 3


# ------------------------------------------ layer 1 ------------------------------------------


# attn_1_0_outputs: query positions, key var0_embeddings, copies var1_embeddings from the closest match

def predicate_1_0(position, var0_embedding):
    if position in {0}:
        return var0_embedding == 6
    elif position in {1, 5}:
        return var0_embedding == 5
    elif position in {2, 3}:
        return var0_embedding == 7
    elif position in {4}:
        return var0_embedding == 1
    elif position in {6}:
        return var0_embedding == 2
    elif position in {7}:
        return var0_embedding == 3
    return False


# attn_1_1_outputs: query var3_embeddings, key attn_0_0_outputs, copies var1_embeddings from the closest match

def predicate_1_1(var3_embedding, attn_0_0_output):
    if var3_embedding in {0, 1, 3}:
        return attn_0_0_output == 0
    elif var3_embedding in {2}:
        return attn_0_0_output == 2
    elif var3_embedding in {4}:
        return attn_0_0_output == 5
    elif var3_embedding in {5, 7}:
        return attn_0_0_output == 4
    elif var3_embedding in {6}:
        return attn_0_0_output == 6
    return False


# attn_1_2_outputs: query attn_0_0_outputs, key mlp_0_0_outputs, copies var1_embeddings from the closest match

def predicate_1_2(attn_0_0_output, mlp_0_0_output):
    if attn_0_0_output in {0}:
        return mlp_0_0_output == 6
    elif attn_0_0_output in {1}:
        return mlp_0_0_output == 0
    elif attn_0_0_output in {2, 5, 7}:
        return mlp_0_0_output == 3
    elif attn_0_0_output in {3}:
        return mlp_0_0_output == 5
    elif attn_0_0_output in {4, 6}:
        return mlp_0_0_output == 1
    return False


# attn_1_3_outputs: query mlp_0_0_outputs, key var1_embeddings, copies mlp_0_0_outputs from the closest match

def predicate_1_3(mlp_0_0_output, var1_embedding):
    if mlp_0_0_output in {0, 1, 2, 5}:
        return var1_embedding == 1
    elif mlp_0_0_output in {3, 7}:
        return var1_embedding == 0
    elif mlp_0_0_output in {4}:
        return var1_embedding == 6
    elif mlp_0_0_output in {6}:
        return var1_embedding == 4
    return False


# mlp_1_0_outputs: a table over (mlp_0_0_outputs, var0_embeddings)

def mlp_1_0(mlp_0_0_output, var0_embedding):
    _key = (mlp_0_0_output, var0_embedding)
    if _key in {(1, 2), (1, 4), (4, 2), (4, 4), (6, 2), (6, 4)}:
        return 4
    return 5


# ---------------------------------------- classifier -----------------------------------------
# logit[c] = sum over FEATURES in this order of the weight row of the feature's value
# (categorical) or value * weight row (numerical), in float32. One weight per class in CLASSES.
FEATURES = [
    ("var0_embeddings", False),
    ("var1_embeddings", False),
    ("var2_embeddings", False),
    ("var3_embeddings", False),
    ("positions", False),
    ("attn_0_0_outputs", False),
    ("attn_0_1_outputs", False),
    ("attn_0_2_outputs", False),
    ("attn_0_3_outputs", False),
    ("mlp_0_0_outputs", False),
    ("attn_1_0_outputs", False),
    ("attn_1_1_outputs", False),
    ("attn_1_2_outputs", False),
    ("attn_1_3_outputs", False),
    ("mlp_1_0_outputs", False),
    ("ones", True),
]
CLASSIFIER_WEIGHTS = {
    ("var0_embeddings", 0): [0.49463996291160583, 0.14006392657756805, 0.4647791385650635, -0.04856317117810249, 0.4313724935054779],
    ("var0_embeddings", 1): [0.0065760924480855465, -0.058421410620212555, -0.35437649488449097, -0.12644991278648376, -0.5067849159240723],
    ("var0_embeddings", 2): [0.3427354097366333, -0.5494778752326965, -0.20665642619132996, -0.3212161958217621, 0.452493280172348],
    ("var0_embeddings", 3): [-0.40752920508384705, -0.5811233520507813, 0.27973005175590515, -0.26827874779701233, -0.19879798591136932],
    ("var0_embeddings", 4): [0.03696686774492264, -0.6886301040649414, 0.5210962891578674, -0.9481921195983887, -0.038716964423656464],
    ("var0_embeddings", 5): [0.5389630794525146, 0.4008331894874573, 0.6765957474708557, 0.196829155087471, -0.07162873446941376],
    ("var0_embeddings", 6): [-0.23804907500743866, -0.04955838993191719, -0.8281388282775879, -0.8615330457687378, -0.2850531041622162],
    ("var0_embeddings", 7): [-0.02551177516579628, -0.2734813690185547, -0.1491023600101471, 0.6203194260597229, 0.08954403549432755],
    ("var1_embeddings", 0): [-1.3647559881210327, 0.711500883102417, -0.13484640419483185, 0.244562566280365, 0.3438250720500946],
    ("var1_embeddings", 1): [-0.06519902497529984, 0.021612880751490593, -0.44957685470581055, -0.6212107539176941, -0.6465468406677246],
    ("var1_embeddings", 2): [-0.06081775203347206, -0.003980380482971668, -0.17098647356033325, 0.3108011484146118, -0.46291694045066833],
    ("var1_embeddings", 3): [-0.7206905484199524, -0.3695530891418457, -0.3139687776565552, 0.024845190346240997, 0.27062368392944336],
    ("var1_embeddings", 4): [-0.4470815062522888, 0.02224992774426937, 0.4475465416908264, 0.32812201976776123, -0.41425254940986633],
    ("var1_embeddings", 5): [0.07355289161205292, 0.10221730917692184, -0.0525251105427742, 0.2730306386947632, -0.27686986327171326],
    ("var1_embeddings", 6): [-0.4633083939552307, -0.0012953240657225251, -0.7035935521125793, 0.6201245188713074, 0.512913703918457],
    ("var1_embeddings", 7): [0.39984601736068726, -0.062384579330682755, -0.18941126763820648, -0.12650908529758453, 0.05326613783836365],
    ("var2_embeddings", 0): [-0.12824903428554535, 0.1624724417924881, 0.32211869955062866, -0.9617375731468201, 0.35265544056892395],
    ("var2_embeddings", 1): [0.8642858862876892, -0.7242547869682312, -0.48856353759765625, -0.039057355374097824, -0.08702929317951202],
    ("var2_embeddings", 2): [0.17991629242897034, -0.016140051186084747, -0.3680037260055542, -0.2450803518295288, -0.231932133436203],
    ("var2_embeddings", 3): [0.13115788996219635, -1.2569512128829956, 0.5929818153381348, -0.641829252243042, 0.8532752394676208],
    ("var2_embeddings", 4): [0.6152880787849426, 0.03391851857304573, -0.3462638556957245, 0.17517930269241333, 0.1460023820400238],
    ("var2_embeddings", 5): [0.4635290801525116, -0.4112595021724701, -0.21134363114833832, -0.3848525285720825, 0.4076659083366394],
    ("var2_embeddings", 6): [-0.13371309638023376, 0.0454525500535965, -0.01411246694624424, -1.1223818063735962, 0.14519083499908447],
    ("var2_embeddings", 7): [-0.16701410710811615, 0.13298188149929047, -0.2906862795352936, 0.7648491263389587, -0.8692818284034729],
    ("var3_embeddings", 0): [-0.0810653567314148, 0.16946755349636078, 0.565346360206604, 0.24906446039676666, -1.1309869289398193],
    ("var3_embeddings", 1): [-0.12805481255054474, 0.08618524670600891, 0.5639489889144897, -0.4555426239967346, -0.058505572378635406],
    ("var3_embeddings", 2): [-0.19506888091564178, -0.13281194865703583, 0.26027414202690125, -0.013212605379521847, -0.8001821041107178],
    ("var3_embeddings", 3): [-0.8535036444664001, -0.27472907304763794, 0.02775074914097786, -0.4828486442565918, -0.44391873478889465],
    ("var3_embeddings", 4): [-0.900522768497467, 0.4166543781757355, 0.14645421504974365, 0.8809272646903992, -0.2342139482498169],
    ("var3_embeddings", 5): [0.09839005023241043, -0.3719717264175415, -0.6658215522766113, 0.7767245769500732, -0.3298628330230713],
    ("var3_embeddings", 6): [0.9709799289703369, -0.8820981979370117, 0.09664154052734375, 0.5048350095748901, 0.11266876757144928],
    ("var3_embeddings", 7): [-0.4902285039424896, 0.013400070369243622, -0.39539265632629395, -0.4258773922920227, -0.0400950163602829],
    ("positions", 0): [0.012841366231441498, -0.4661058187484741, 0.08902010321617126, 0.22460593283176422, 0.3970928490161896],
    ("positions", 1): [-0.5416072607040405, -0.3996330797672272, -0.01854204200208187, -0.5370959043502808, 0.028711630031466484],
    ("positions", 2): [-0.4976716935634613, -0.9778181314468384, -0.24688628315925598, 0.147408589720726, -0.14890527725219727],
    ("positions", 3): [-0.444657564163208, -0.3127788305282593, -0.44015228748321533, 0.21963362395763397, 0.16327285766601563],
    ("positions", 4): [-0.24298439919948578, -0.9109185338020325, 0.12758517265319824, -0.39237016439437866, -0.12280819565057755],
    ("positions", 5): [0.2616805136203766, 0.6616550087928772, -0.4929354190826416, -0.48827001452445984, -0.0366847962141037],
    ("positions", 6): [-0.47813817858695984, 0.20501753687858582, 0.9310605525970459, 0.3783700466156006, 0.2085491567850113],
    ("positions", 7): [-0.3361394703388214, 0.5534729957580566, 0.5219074487686157, -0.6257232427597046, 0.15982823073863983],
    ("attn_0_0_outputs", 0): [-0.10237003117799759, 0.807518482208252, 0.534767210483551, -0.5658466815948486, 0.010596747510135174],
    ("attn_0_0_outputs", 1): [0.16535665094852448, 0.6334354877471924, 0.24529284238815308, -0.14657069742679596, 0.25905632972717285],
    ("attn_0_0_outputs", 2): [-0.298870712518692, -0.017725668847560883, -0.4541212320327759, -0.06587210297584534, -0.6094417572021484],
    ("attn_0_0_outputs", 3): [-0.4826653301715851, -0.06528797000646591, -0.4997308552265167, -0.01956906169652939, 0.04677080363035202],
    ("attn_0_0_outputs", 4): [0.6914781928062439, 0.14563614130020142, 0.5003922581672668, -0.14240798354148865, 0.36055776476860046],
    ("attn_0_0_outputs", 5): [0.3722705543041229, 0.7172154188156128, -0.5581545829772949, -0.5311171412467957, 0.9695179462432861],
    ("attn_0_0_outputs", 6): [0.38381460309028625, 0.2038816213607788, -0.4010574221611023, -0.4518929719924927, 0.7498440742492676],
    ("attn_0_0_outputs", 7): [-0.2994489073753357, 0.173732727766037, 0.2699020802974701, 0.5941652059555054, 0.2671540677547455],
    ("attn_0_1_outputs", 0): [0.09156740456819534, -0.15091989934444427, -0.01868111826479435, 0.0067397914826869965, -0.3273918330669403],
    ("attn_0_1_outputs", 1): [0.3310566246509552, 0.3287334442138672, -0.5540105104446411, -0.13453641533851624, -0.05378611013293266],
    ("attn_0_1_outputs", 2): [-0.7830563187599182, -0.6841104030609131, -0.9087721705436707, -0.07271164655685425, 0.5173532962799072],
    ("attn_0_1_outputs", 3): [-0.021365564316511154, 0.31551238894462585, -0.16360625624656677, -0.2370857447385788, -0.526241660118103],
    ("attn_0_1_outputs", 4): [-0.37817540764808655, -0.3537706732749939, 0.2238137274980545, -0.22400763630867004, 0.8750302791595459],
    ("attn_0_1_outputs", 5): [-0.07693664729595184, 0.07881471514701843, -0.08808182924985886, 0.07210500538349152, 0.8344103097915649],
    ("attn_0_1_outputs", 6): [1.1920126676559448, -0.2698388695716858, 0.2703341841697693, -0.6662371754646301, 0.06811389327049255],
    ("attn_0_1_outputs", 7): [-0.6441828608512878, -0.10628058761358261, -0.29213693737983704, 0.6149819493293762, 0.2637857496738434],
    ("attn_0_2_outputs", 0): [-0.01724221743643284, 0.7735850214958191, 0.4580202102661133, 0.45632416009902954, 0.20670844614505768],
    ("attn_0_2_outputs", 1): [0.1618427336215973, 0.09359068423509598, 0.26384425163269043, -0.2425917685031891, -0.17494410276412964],
    ("attn_0_2_outputs", 2): [-0.4934701919555664, 0.021750152111053467, 0.3873897194862366, -0.26476460695266724, -0.08373315632343292],
    ("attn_0_2_outputs", 3): [0.09803425520658493, 0.47326183319091797, 0.12693287432193756, -0.3305082619190216, -0.3965188264846802],
    ("attn_0_2_outputs", 4): [0.26440632343292236, -0.25709113478660583, 0.5647696256637573, 0.5358726978302002, 0.8479979634284973],
    ("attn_0_2_outputs", 5): [-0.5646589994430542, 0.6590147614479065, 0.3774494230747223, -0.5929319262504578, -0.8978838920593262],
    ("attn_0_2_outputs", 6): [1.04763662815094, -0.28806596994400024, -0.04633886367082596, 0.07028090953826904, 0.2765638828277588],
    ("attn_0_2_outputs", 7): [-0.33818382024765015, -0.279085248708725, 0.30319198966026306, -0.04452779144048691, -0.011169315315783024],
    ("attn_0_3_outputs", 0): [-0.23207567632198334, 0.1792774647474289, 0.4423690438270569, -0.001621742732822895, -0.28724953532218933],
    ("attn_0_3_outputs", 1): [0.0392158217728138, 0.18611931800842285, 0.5930859446525574, 0.4528184235095978, -0.6203458905220032],
    ("attn_0_3_outputs", 2): [-0.19346654415130615, 0.21685239672660828, 0.44099220633506775, -0.18131937086582184, 0.2323163002729416],
    ("attn_0_3_outputs", 3): [0.2976849675178528, 0.09585937112569809, 0.22363343834877014, 0.6790010333061218, -0.2979300320148468],
    ("attn_0_3_outputs", 4): [-1.183322787284851, -0.7460057139396667, 0.23265805840492249, 0.1510564088821411, 0.47431039810180664],
    ("attn_0_3_outputs", 5): [-0.4721531569957733, 0.23137634992599487, 0.12905123829841614, 0.041087597608566284, 0.005039200186729431],
    ("attn_0_3_outputs", 6): [0.8251360058784485, -0.6884074807167053, 0.4440338909626007, -0.34136873483657837, -0.08617427200078964],
    ("attn_0_3_outputs", 7): [-0.028472833335399628, -0.06558922678232193, 0.444783478975296, -0.40064185857772827, 0.23940850794315338],
    ("mlp_0_0_outputs", 0): [0.8474060297012329, 0.16874854266643524, 0.4655190110206604, -0.34591564536094666, 0.4006262719631195],
    ("mlp_0_0_outputs", 1): [0.34763243794441223, 0.1069016307592392, -0.23387086391448975, 0.14257335662841797, 0.42888033390045166],
    ("mlp_0_0_outputs", 2): [0.04130199924111366, 0.20557132363319397, 0.10981689393520355, -0.030187789350748062, -0.3534579277038574],
    ("mlp_0_0_outputs", 3): [0.05197792872786522, -0.35005977749824524, -0.1705041229724884, 0.006762700155377388, 0.3364856541156769],
    ("mlp_0_0_outputs", 4): [-0.3174210786819458, 0.048249322921037674, -1.021268606185913, 0.23780561983585358, -0.8868780136108398],
    ("mlp_0_0_outputs", 5): [-0.15224868059158325, 0.3367014229297638, -0.1638241857290268, 0.43380311131477356, 0.3461425006389618],
    ("mlp_0_0_outputs", 6): [-0.0339207723736763, -0.7820926904678345, -0.5894315838813782, -0.22081777453422546, -0.5115184783935547],
    ("mlp_0_0_outputs", 7): [0.3207482397556305, 0.17863015830516815, -0.3003371059894562, -0.05062251538038254, 0.203665629029274],
    ("attn_1_0_outputs", 0): [-0.3374813497066498, -1.2689276933670044, 0.004239369183778763, 0.35700738430023193, -1.290123701095581],
    ("attn_1_0_outputs", 1): [-0.021971167996525764, -0.4309626519680023, 0.42674583196640015, -0.21383966505527496, 0.07378099113702774],
    ("attn_1_0_outputs", 2): [1.0695269107818604, 0.28610938787460327, 0.6487856507301331, -0.18118596076965332, -0.21856677532196045],
    ("attn_1_0_outputs", 3): [-0.2071847915649414, 0.06170153245329857, 0.49189186096191406, -0.5102038979530334, -0.30419498682022095],
    ("attn_1_0_outputs", 4): [0.23903320729732513, -0.6815412640571594, -0.13132432103157043, -0.03519789129495621, 0.11144649982452393],
    ("attn_1_0_outputs", 5): [0.033085424453020096, 0.5098033547401428, -0.03245587646961212, -0.18016022443771362, 0.9195237159729004],
    ("attn_1_0_outputs", 6): [0.2595374584197998, -0.2940916121006012, -0.4328027069568634, 0.08513850718736649, 0.30243822932243347],
    ("attn_1_0_outputs", 7): [0.420805424451828, -0.10617974400520325, -0.2241249680519104, 0.49939849972724915, -0.4703061282634735],
    ("attn_1_1_outputs", 0): [-0.17334359884262085, -0.04779497906565666, 0.31381088495254517, 0.26346534490585327, 0.35872527956962585],
    ("attn_1_1_outputs", 1): [0.5695284605026245, 0.0012803617864847183, -0.2934572398662567, -0.30668267607688904, -0.4468613862991333],
    ("attn_1_1_outputs", 2): [-0.1131184846162796, -0.30291247367858887, 0.804216206073761, -0.2184811532497406, -0.8647645711898804],
    ("attn_1_1_outputs", 3): [0.4974798262119293, 0.10470309853553772, 0.19880938529968262, -0.6362364888191223, -0.5480537414550781],
    ("attn_1_1_outputs", 4): [0.5351247191429138, 0.03533050790429115, -0.4711951017379761, 0.32259511947631836, -0.24363894760608673],
    ("attn_1_1_outputs", 5): [-0.01418609544634819, 0.48979559540748596, 0.4527358412742615, -0.7139143347740173, 0.05080796778202057],
    ("attn_1_1_outputs", 6): [-0.334279865026474, -0.10454051196575165, 0.3764697313308716, -0.27279454469680786, -0.20512810349464417],
    ("attn_1_1_outputs", 7): [-0.38674432039260864, 0.03409987688064575, -0.6203469038009644, 0.060414403676986694, 0.046403780579566956],
    ("attn_1_2_outputs", 0): [0.4048159718513489, -0.861115574836731, 0.42308318614959717, -0.05635577440261841, -0.05928521230816841],
    ("attn_1_2_outputs", 1): [-1.0527393817901611, -0.5226841568946838, -0.07892972975969315, 0.31187087297439575, -0.22294974327087402],
    ("attn_1_2_outputs", 2): [-0.17292772233486176, -0.2383701652288437, 0.15349538624286652, 0.039769262075424194, -0.11303770542144775],
    ("attn_1_2_outputs", 3): [-0.07789041101932526, 0.407247394323349, -0.1897144913673401, -0.6129108667373657, 0.007523649837821722],
    ("attn_1_2_outputs", 4): [0.4362480640411377, -0.22273248434066772, -0.07258178293704987, -0.2540898025035858, 0.030197350308299065],
    ("attn_1_2_outputs", 5): [-0.48240187764167786, -0.09546945244073868, 0.7041835784912109, -0.2772725224494934, -0.04901650547981262],
    ("attn_1_2_outputs", 6): [0.6500337719917297, 0.04729388281702995, -0.07811231911182404, -0.15662533044815063, 0.184676855802536],
    ("attn_1_2_outputs", 7): [-0.5248080492019653, 0.7439532279968262, 0.4841204881668091, 0.42152833938598633, 0.8779765963554382],
    ("attn_1_3_outputs", 0): [0.034765176475048065, 0.7532575726509094, 0.20368526875972748, -0.7995218634605408, -0.5892933011054993],
    ("attn_1_3_outputs", 1): [-0.1671355962753296, 0.23920898139476776, -0.061697687953710556, -0.3995389938354492, -0.22835876047611237],
    ("attn_1_3_outputs", 2): [-0.010199214331805706, 0.8884816765785217, -0.07585518062114716, -0.23405450582504272, -0.40899863839149475],
    ("attn_1_3_outputs", 3): [-0.3490683138370514, -0.3962252736091614, -0.34608039259910583, -0.2204970121383667, -0.8156874775886536],
    ("attn_1_3_outputs", 4): [-0.35200977325439453, 0.27585864067077637, 0.17958296835422516, 0.03667084500193596, -0.056417450308799744],
    ("attn_1_3_outputs", 5): [0.3447631299495697, 0.17695945501327515, -0.4327784478664398, -0.5293586850166321, -0.21063758432865143],
    ("attn_1_3_outputs", 6): [-0.6242015957832336, -0.3659396767616272, 0.3126108944416046, 0.6091433763504028, -0.4354596436023712],
    ("attn_1_3_outputs", 7): [0.1836272031068802, 0.2971697151660919, 0.24769540131092072, 0.5555439591407776, -1.1971901655197144],
    ("mlp_1_0_outputs", 0): [-0.6497304439544678, -0.07984505593776703, 0.34600192308425903, 0.11737281829118729, 0.21794630587100983],
    ("mlp_1_0_outputs", 1): [0.725614607334137, -0.7695583701133728, 0.034162357449531555, 0.33221063017845154, 0.10377628356218338],
    ("mlp_1_0_outputs", 2): [-0.17523817718029022, 0.37701529264450073, -0.4094998836517334, 0.04134233668446541, -0.04569326341152191],
    ("mlp_1_0_outputs", 3): [0.3700905740261078, -0.3048686683177948, 0.6298409104347229, -0.0326862558722496, -0.01012386940419674],
    ("mlp_1_0_outputs", 4): [0.25696733593940735, 0.27384108304977417, 0.17882582545280457, 0.3870256543159485, -0.2285788208246231],
    ("mlp_1_0_outputs", 5): [-0.9909077286720276, -0.07473509758710861, 0.12269541621208191, 0.3649502098560333, -0.8130515217781067],
    ("mlp_1_0_outputs", 6): [-0.2838711738586426, -0.5026309490203857, 0.1585531383752823, 0.8865371942520142, 0.24794578552246094],
    ("mlp_1_0_outputs", 7): [0.27824997901916504, 0.9629185199737549, 0.30380651354789734, 0.16761057078838348, -0.5710121393203735],
    ("ones", "_"): [0.08390461653470993, 0.48466217517852783, -0.5632051825523376, 0.6233851909637451, 0.3708001971244812],
}


def run(tokens, return_logits=False):
    """The label of every position (and the logits if asked)."""
    _input = _check_input(tokens)
    _n = len(_input)
    var0_embeddings = [_EMBEDDING_var0_embeddings[t] for t in _input]
    var1_embeddings = [_EMBEDDING_var1_embeddings[t] for t in _input]
    var2_embeddings = [_EMBEDDING_var2_embeddings[t] for t in _input]
    var3_embeddings = [_EMBEDDING_var3_embeddings[t] for t in _input]
    positions = list(range(_n))
    ones = [1] * _n

    # layer 0
    attn_0_0_outputs = aggregate(select_closest(var3_embeddings, var1_embeddings, predicate_0_0), var2_embeddings)
    attn_0_1_outputs = aggregate(select_closest(positions, var1_embeddings, predicate_0_1), var3_embeddings)
    attn_0_2_outputs = aggregate(select_closest(var1_embeddings, var0_embeddings, predicate_0_2), var1_embeddings)
    attn_0_3_outputs = aggregate(select_closest(var3_embeddings, var1_embeddings, predicate_0_3), var3_embeddings)
    mlp_0_0_outputs = [mlp_0_0(_a0, _a1) for _a0, _a1 in zip(attn_0_2_outputs, attn_0_0_outputs)]

    # layer 1
    attn_1_0_outputs = aggregate(select_closest(var0_embeddings, positions, predicate_1_0), var1_embeddings)
    attn_1_1_outputs = aggregate(select_closest(attn_0_0_outputs, var3_embeddings, predicate_1_1), var1_embeddings)
    attn_1_2_outputs = aggregate(select_closest(mlp_0_0_outputs, attn_0_0_outputs, predicate_1_2), var1_embeddings)
    attn_1_3_outputs = aggregate(select_closest(var1_embeddings, mlp_0_0_outputs, predicate_1_3), mlp_0_0_outputs)
    mlp_1_0_outputs = [mlp_1_0(_a0, _a1) for _a0, _a1 in zip(mlp_0_0_outputs, var0_embeddings)]

    _values = {"var0_embeddings": var0_embeddings, "var1_embeddings": var1_embeddings,
        "var2_embeddings": var2_embeddings, "var3_embeddings": var3_embeddings,
        "positions": positions, "attn_0_0_outputs": attn_0_0_outputs,
        "attn_0_1_outputs": attn_0_1_outputs, "attn_0_2_outputs": attn_0_2_outputs,
        "attn_0_3_outputs": attn_0_3_outputs, "mlp_0_0_outputs": mlp_0_0_outputs,
        "attn_1_0_outputs": attn_1_0_outputs, "attn_1_1_outputs": attn_1_1_outputs,
        "attn_1_2_outputs": attn_1_2_outputs, "attn_1_3_outputs": attn_1_3_outputs,
        "mlp_1_0_outputs": mlp_1_0_outputs, "ones": ones}
    return _classify(_values, _n, return_logits)


def main(argv):
    if len(argv) != 2:
        example = "EU rejects German call" if TEXT else "<s> 3 1 4 </s>"
        print(f"usage: python3 {argv[0]} \"{example}\"", file=sys.stderr)
        return 2
    try:
        labels = run_words(argv[1].split()) if TEXT else run(argv[1].split())
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(" ".join(str(label) for label in labels))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
