//! Entity-level precision, recall and F1 for IOB-tagged sequences, as seqeval 1.2.2 computes
//! them: [`EntityMode::StrictIob2`] (`mode="strict", scheme=IOB2`, what the reference reports
//! for CoNLL) and [`EntityMode::Default`] (seqeval's default, conlleval-like chunking).
//!
//! Scores are micro-averaged over the corpus: an entity is `(sentence, start, end, type)`; a
//! predicted entity is correct when the gold sequence has exactly the same one. A ratio whose
//! denominator is zero is 0 (seqeval's `zero_division` default), so a corpus without entities
//! scores 0 everywhere.
//!
//! * **Default mode** reads `X-TYPE` as prefix `X` (the first character) and type `TYPE`. A
//!   chunk starts at `B`/`S`, at an `I`/`E` after `O` or after an `E`/`S`, and wherever the type
//!   changes; it ends before `B`, `S`, `O`, after `E`/`S`, and where the type changes. So an
//!   `I-PER` without a `B-PER` still opens a `PER` entity. Sentences are joined with an `O`
//!   between them, as seqeval does.
//! * **Strict IOB2** only accepts `B-`, `I-` and `O`: an entity is a `B-X` followed by `I-X`s,
//!   and an `I-X` that does not continue one is no entity at all. Any other prefix is an error
//!   (seqeval raises).

use std::collections::HashSet;

/// Which of seqeval's two ways of finding entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityMode {
    /// seqeval's default (conlleval-like): lenient about ill-formed spans.
    Default,
    /// `mode="strict", scheme=IOB2`: an entity must start with `B-`.
    StrictIob2,
}

/// A problem with tag sequences that seqeval would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntityError {
    /// The gold and predicted corpora differ in shape.
    #[error("{what}: gold has {gold}, prediction has {pred}")]
    ShapeMismatch {
        /// What differs (`sentences`, or `tokens of sentence #n`).
        what: String,
        /// Count in gold.
        gold: usize,
        /// Count in the prediction.
        pred: usize,
    },
    /// A tag that strict IOB2 does not allow.
    #[error("tag `{tag}` is not IOB2 (`O`, `B-TYPE` or `I-TYPE`)")]
    InvalidTag {
        /// The tag.
        tag: String,
    },
}

/// Corpus-level entity scores.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct EntityScores {
    /// Correct predicted entities / predicted entities (0 without predictions).
    pub precision: f64,
    /// Correct predicted entities / gold entities (0 without gold entities).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Gold entities.
    pub gold: usize,
    /// Predicted entities.
    pub predicted: usize,
    /// Predicted entities that are gold entities.
    pub correct: usize,
}

/// An entity: sentence, first and last token, type.
type Entity = (usize, usize, usize, String);

/// The entity scores of `pred` against `gold` (one tag sequence per sentence).
pub fn entity_scores<S: AsRef<str>>(
    gold: &[Vec<S>],
    pred: &[Vec<S>],
    mode: EntityMode,
) -> Result<EntityScores, EntityError> {
    if gold.len() != pred.len() {
        return Err(EntityError::ShapeMismatch {
            what: "sentences".into(),
            gold: gold.len(),
            pred: pred.len(),
        });
    }
    for (index, (g, p)) in gold.iter().zip(pred).enumerate() {
        if g.len() != p.len() {
            return Err(EntityError::ShapeMismatch {
                what: format!("tokens of sentence #{}", index + 1),
                gold: g.len(),
                pred: p.len(),
            });
        }
    }
    let gold = entities(gold, mode)?;
    let pred = entities(pred, mode)?;
    let correct = gold.intersection(&pred).count();
    let ratio = |num: usize, den: usize| {
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    };
    let precision = ratio(correct, pred.len());
    let recall = ratio(correct, gold.len());
    let denominator = precision + recall;
    let f1 = if denominator == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / denominator
    };
    Ok(EntityScores {
        precision,
        recall,
        f1,
        gold: gold.len(),
        predicted: pred.len(),
        correct,
    })
}

/// The entities of a corpus in `mode`.
fn entities<S: AsRef<str>>(
    corpus: &[Vec<S>],
    mode: EntityMode,
) -> Result<HashSet<Entity>, EntityError> {
    match mode {
        EntityMode::Default => Ok(default_entities(corpus)),
        EntityMode::StrictIob2 => {
            let mut found = HashSet::new();
            for (sentence, tags) in corpus.iter().enumerate() {
                strict_entities(sentence, tags, &mut found)?;
            }
            Ok(found)
        }
    }
}

/// Default mode's `(prefix, type)` of a tag: first character, and what follows the first
/// `-` after it (`_` when empty).
fn split_default(tag: &str) -> (char, String) {
    let mut chars = tag.chars();
    let prefix = chars.next().unwrap_or('O');
    let rest = chars.as_str();
    let kind = rest.split_once('-').map_or(rest, |(_, kind)| kind);
    let kind = if kind.is_empty() { "_" } else { kind };
    (prefix, kind.to_owned())
}

/// seqeval's `get_entities` over the corpus joined with `O` between sentences; entities
/// carry their sentence and offsets within it.
fn default_entities<S: AsRef<str>>(corpus: &[Vec<S>]) -> HashSet<Entity> {
    let mut flat: Vec<(usize, usize, &str)> = Vec::new();
    for (sentence, tags) in corpus.iter().enumerate() {
        for (offset, tag) in tags.iter().enumerate() {
            flat.push((sentence, offset, tag.as_ref()));
        }
        flat.push((sentence, tags.len(), "O"));
    }
    let mut found = HashSet::new();
    let (mut prev_tag, mut prev_type) = ('O', String::new());
    let mut begin = 0;
    for index in 0..=flat.len() {
        let (tag, kind) = flat
            .get(index)
            .map_or(('O', "_".to_owned()), |&(_, _, t)| split_default(t));
        if chunk_ends(prev_tag, tag, &prev_type, &kind) && index > 0 {
            let (sentence, start, _) = flat[begin];
            let (_, end, _) = flat[index - 1];
            found.insert((sentence, start, end, prev_type.clone()));
        }
        if chunk_starts(prev_tag, tag, &prev_type, &kind) {
            begin = index;
        }
        prev_tag = tag;
        prev_type = kind;
    }
    found
}

/// seqeval's `end_of_chunk`: the chunk before this tag ends.
fn chunk_ends(prev: char, tag: char, prev_type: &str, kind: &str) -> bool {
    matches!(prev, 'E' | 'S')
        || (matches!(prev, 'B' | 'I') && matches!(tag, 'B' | 'S' | 'O'))
        || (prev != 'O' && prev != '.' && prev_type != kind)
}

/// seqeval's `start_of_chunk`: a chunk starts at this tag.
fn chunk_starts(prev: char, tag: char, prev_type: &str, kind: &str) -> bool {
    matches!(tag, 'B' | 'S')
        || (matches!(prev, 'E' | 'S' | 'O') && matches!(tag, 'E' | 'I'))
        || (tag != 'O' && tag != '.' && prev_type != kind)
}

/// Strict IOB2's `(prefix, type)`: prefix `B`, `I` or `O`, type the rest without surrounding
/// `-` (`_` when empty).
fn split_strict(tag: &str) -> Result<(char, &str), EntityError> {
    let mut chars = tag.chars();
    let prefix = chars.next().unwrap_or(' ');
    if !matches!(prefix, 'B' | 'I' | 'O') {
        return Err(EntityError::InvalidTag {
            tag: tag.to_owned(),
        });
    }
    let kind = chars.as_str().trim_matches('-');
    Ok((prefix, if kind.is_empty() { "_" } else { kind }))
}

/// seqeval's strict `Tokens.entities` for IOB2 on one sentence: each `B-X` followed by `I-X`s
/// is an entity, ending before anything else.
fn strict_entities<S: AsRef<str>>(
    sentence: usize,
    tags: &[S],
    found: &mut HashSet<Entity>,
) -> Result<(), EntityError> {
    let parsed = tags
        .iter()
        .map(|t| split_strict(t.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut index = 0;
    while index < parsed.len() {
        let (prefix, kind) = parsed[index];
        if prefix != 'B' {
            index += 1;
            continue;
        }
        let mut end = index + 1;
        while end < parsed.len() && parsed[end].0 == 'I' && parsed[end].1 == kind {
            end += 1;
        }
        found.insert((sentence, index, end - 1, kind.to_owned()));
        index = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(sentences: &[&str]) -> Vec<Vec<String>> {
        sentences
            .iter()
            .map(|s| s.split_whitespace().map(String::from).collect())
            .collect()
    }

    #[test]
    fn ill_formed_spans_differ_between_modes() {
        let gold = corpus(&["B-PER I-PER O B-LOC"]);
        let pred = corpus(&["I-PER I-PER O B-LOC"]);
        let lenient = entity_scores(&gold, &pred, EntityMode::Default).unwrap();
        assert_eq!((lenient.correct, lenient.predicted), (2, 2));
        let strict = entity_scores(&gold, &pred, EntityMode::StrictIob2).unwrap();
        assert_eq!((strict.correct, strict.predicted, strict.gold), (1, 1, 2));
        assert!((strict.recall - 0.5).abs() < 1e-12);
    }

    #[test]
    fn bad_input_is_an_error() {
        let gold = corpus(&["B-PER O"]);
        assert!(entity_scores(&gold, &corpus(&["O"]), EntityMode::Default).is_err());
        assert!(entity_scores(&gold, &corpus(&[]), EntityMode::Default).is_err());
        let error = entity_scores(&gold, &corpus(&["E-PER O"]), EntityMode::StrictIob2);
        assert!(matches!(error, Err(EntityError::InvalidTag { .. })));
    }
}
