//! Word tokenization as NLTK's `word_tokenize`, which the reference applies to the text
//! classification data: sentences first, then the Penn Treebank rules of NLTK's
//! `NLTKWordTokenizer` on each sentence.
//!
//! [`treebank_tokenize`] applies the Treebank rules of NLTK 3.10 in the same order (quotes,
//! punctuation, brackets, double dashes, closing quotes and clitics such as `n't` and `'s`,
//! then `cannot`, `gonna`, ...), written for the `regex` crate. Differences from NLTK:
//! * `regex` has no look-around. The three rules that use it are written out by hand with
//!   the same effect: a `'` opening a word (not a clitic such as `'s`, `'re`, `'n`) is split
//!   off; `wanna` before whitespace is split; a final `.` before closing quotes (possessive
//!   `*+` in NLTK) is matched greedily, which gives the same split.
//! * `\w` and `\d` follow Unicode in both, but Rust's `char::is_alphanumeric` (used by the
//!   hand-written rule) and Python's `str.isalnum` may disagree on a few rare code points.
//! * [`split_sentences`] stands in for NLTK's Punkt sentence splitter, whose trained English
//!   model (the `punkt` data) is not available here. It cuts after a word ending in `.`, `?`
//!   or `!` (closing quotes and brackets may follow) when whitespace and another word follow,
//!   except after an abbreviation (a single letter, a word with an inner period such as
//!   `U.S.`, or one of a short list such as `Mr.`, `Dr.`, `Inc.`, `Jan.`) and after an
//!   ellipsis followed by a lower-case word. Punkt learned its abbreviations from a corpus,
//!   so the two disagree on rare abbreviations. The cut only matters for the sentence's last
//!   period, which the Treebank rules split off (`York.` inside a sentence stays one token).

use std::sync::LazyLock;

use regex::Regex;

/// One rewriting rule: every match of the pattern is replaced (`$1`, `${0}` refer to groups).
struct Rule {
    pattern: Regex,
    replacement: &'static str,
}

/// Compiles the rules; the patterns are constants checked by the tests.
fn rules(table: &[(&str, &'static str)]) -> Vec<Rule> {
    table
        .iter()
        .map(|&(pattern, replacement)| Rule {
            pattern: Regex::new(pattern).expect("constant tokenizer pattern"),
            replacement,
        })
        .collect()
}

/// Opening quotes (before the hand-written opening `'` rule).
static STARTING_QUOTES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    rules(&[
        ("([«“‘„]|`+)", " ${1} "),
        ("^\"", "``"),
        ("(``)", " ${1} "),
        (r#"([ (\[{<])("|'')"#, "${1} `` "),
    ])
});

/// Punctuation, then brackets and double dashes.
static PUNCTUATION: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    rules(&[
        (r#"([^.])(\.)([\])}>"'»”’ ]*)\s*$"#, "${1} ${2} ${3} "),
        (r"([:,])([^\d])", " ${1} ${2}"),
        (r"([:,])$", " ${1} "),
        (r"\.{2,}", " ${0} "),
        (r"[;@#$%&]", " ${0} "),
        ("[\u{2012}-\u{2015}]", " ${0} "),
        (r#"([^.])(\.)([\])}>"']*)\s*$"#, "${1} ${2}${3} "),
        (r"[?!]", " ${0} "),
        (r"([^'])' ", "${1} ' "),
        (r"\*", " ${0} "),
        (r"[\]\[(){}<>]", " ${0} "),
        (r"--", " -- "),
    ])
});

/// Closing quotes and clitics (on the text padded with a space at both ends), then
/// MacIntyre's contractions.
static ENDING_QUOTES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    rules(&[
        ("([»”’])", " ${1} "),
        ("''", " '' "),
        ("\"", " '' "),
        (r"\s+", " "),
        ("([^' ])('[sS]|'[mM]|'[dD]|') ", "${1} ${2} "),
        ("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "${1} ${2} "),
        (r"(?i)\b(can)(not)\b", " ${1} ${2} "),
        (r"(?i)\b(d)('ye)\b", " ${1} ${2} "),
        (r"(?i)\b(gim)(me)\b", " ${1} ${2} "),
        (r"(?i)\b(gon)(na)\b", " ${1} ${2} "),
        (r"(?i)\b(got)(ta)\b", " ${1} ${2} "),
        (r"(?i)\b(lem)(me)\b", " ${1} ${2} "),
        (r"(?i)\b(more)('n)\b", " ${1} ${2} "),
        (r"(?i)\b(wan)(na)(\s)", " ${1} ${2} ${3}"),
        (r"(?i) ('t)(is)\b", " ${1} ${2} "),
        (r"(?i) ('t)(was)\b", " ${1} ${2} "),
    ])
});

/// Applies `rules` in order.
fn apply(rules: &[Rule], mut text: String) -> String {
    for rule in rules {
        if let std::borrow::Cow::Owned(changed) = rule.pattern.replace_all(&text, rule.replacement)
        {
            text = changed;
        }
    }
    text
}

/// A word character as Python's `\w`.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// NLTK's rule `(?i)(?<!\w)(')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)` → `' `: a quote that opens
/// a word, unless it starts a clitic, gets a space after it.
fn split_opening_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        out.push(c);
        if c == '\'' && !previous.is_some_and(is_word) {
            let rest = &text[at + 1..];
            if rest.chars().next().is_some_and(is_word) && !starts_with_clitic(rest) {
                out.push(' ');
            }
        }
        previous = Some(c);
    }
    out
}

/// Whether `rest` starts with `re`, `ve`, `ll`, `m`, `t`, `s`, `d` or `n` (any case) that
/// ends a word.
fn starts_with_clitic(rest: &str) -> bool {
    ["re", "ve", "ll", "m", "t", "s", "d", "n"]
        .iter()
        .any(|clitic| {
            rest.get(..clitic.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(clitic))
                && !rest[clitic.len()..].chars().next().is_some_and(is_word)
        })
}

/// The Treebank tokens of one sentence (NLTK's `NLTKWordTokenizer().tokenize`).
pub fn treebank_tokenize(sentence: &str) -> Vec<String> {
    let text = apply(&STARTING_QUOTES, sentence.to_owned());
    let text = split_opening_quotes(&text);
    let text = apply(&PUNCTUATION, text);
    let text = apply(&ENDING_QUOTES, format!(" {text} "));
    text.split_whitespace().map(str::to_owned).collect()
}

/// Words that end in a period without ending a sentence (lower case, period dropped).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc",
    "no", "gen", "gov", "sen", "rep", "col", "lt", "sgt", "capt", "mt", "ft", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "e.g", "i.e",
];

/// Characters that may follow a sentence's final punctuation in the same word.
const CLOSERS: &[char] = &['"', '\'', ')', ']', '}', '’', '”', '»'];

/// Whether the word `word` (no whitespace) ends a sentence when `next` follows it.
fn ends_sentence(word: &str, next: &str) -> bool {
    let core = word.trim_end_matches(CLOSERS);
    if core.ends_with('?') || core.ends_with('!') {
        return true;
    }
    let Some(stem) = core.strip_suffix('.') else {
        return false;
    };
    if stem.ends_with('.') {
        // An ellipsis ends a sentence only before a capitalised word.
        return next.chars().next().is_some_and(char::is_uppercase);
    }
    let stem = stem.trim_start_matches(['"', '\'', '(', '[', '{', '`', '“', '‘']);
    let abbreviation = stem.chars().count() == 1 && stem.chars().all(char::is_alphabetic)
        || stem.contains('.')
        || ABBREVIATIONS.contains(&stem.to_lowercase().as_str());
    !abbreviation
}

/// The sentences of `text` (see the module documentation), trimmed, in order.
pub fn split_sentences(text: &str) -> Vec<&str> {
    let mut sentences = Vec::new();
    let mut start = None;
    let mut words = text
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .peekable();
    while let Some((at, word)) = words.next() {
        let begin = *start.get_or_insert(at);
        if let Some(&(_, next)) = words.peek()
            && ends_sentence(word, next)
        {
            sentences.push(&text[begin..at + word.len()]);
            start = None;
        }
        if words.peek().is_none() {
            sentences.push(&text[begin..at + word.len()]);
        }
    }
    sentences
}

/// NLTK's `word_tokenize`: [`split_sentences`], then [`treebank_tokenize`] on each.
pub fn word_tokenize(text: &str) -> Vec<String> {
    split_sentences(text)
        .into_iter()
        .flat_map(treebank_tokenize)
        .collect()
}
