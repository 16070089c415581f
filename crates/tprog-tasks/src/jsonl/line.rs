//! One JSONL line parsed without allocating past the length limit: `tokens` and `labels` keep
//! at most `max_len` strings; beyond that the rest of the list is only counted (serde's
//! `IgnoredAny`), so a line of a million tokens costs its bytes, never a million strings.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A string list read with a cap: `items` holds every element when `len <= cap`, and nothing
/// when the list is longer (its elements are then counted, not kept).
#[derive(Debug, Default)]
pub(super) struct Capped {
    /// The elements (empty when `len` exceeds the cap).
    pub(super) items: Vec<String>,
    /// How many elements the list has.
    pub(super) len: usize,
}

/// The fields of one line, with `tokens` and `labels` capped.
#[derive(Debug)]
pub(super) struct RawLine {
    /// `"split"`, if given (`null` counts as absent).
    pub(super) split: Option<String>,
    /// `"tokens"`.
    pub(super) tokens: Capped,
    /// `"labels"`.
    pub(super) labels: Capped,
}

/// Parses one line's JSON object, keeping at most `cap` strings of each list. Unknown keys are
/// ignored; a missing or repeated `tokens`/`labels` is an error.
pub(super) fn parse_line(text: &str, cap: usize) -> Result<RawLine, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let line = LineSeed { cap }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(line)
}

/// Deserialises a [`RawLine`] with a cap.
struct LineSeed {
    cap: usize,
}

impl<'de> DeserializeSeed<'de> for LineSeed {
    type Value = RawLine;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<RawLine, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineSeed {
    type Value = RawLine;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with `tokens` and `labels` lists of strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawLine, A::Error> {
        let mut split: Option<Option<String>> = None;
        let mut tokens: Option<Capped> = None;
        let mut labels: Option<Capped> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "split" => {
                    if split.is_some() {
                        return Err(de::Error::duplicate_field("split"));
                    }
                    split = Some(map.next_value()?);
                }
                "tokens" | "labels" => {
                    let slot = if key == "tokens" {
                        &mut tokens
                    } else {
                        &mut labels
                    };
                    if slot.is_some() {
                        let name = if key == "tokens" { "tokens" } else { "labels" };
                        return Err(de::Error::duplicate_field(name));
                    }
                    *slot = Some(map.next_value_seed(CappedSeed { cap: self.cap })?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(RawLine {
            split: split.flatten(),
            tokens: tokens.ok_or_else(|| de::Error::missing_field("tokens"))?,
            labels: labels.ok_or_else(|| de::Error::missing_field("labels"))?,
        })
    }
}

/// Deserialises a [`Capped`] list of strings.
struct CappedSeed {
    cap: usize,
}

impl<'de> DeserializeSeed<'de> for CappedSeed {
    type Value = Capped;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Capped, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CappedSeed {
    type Value = Capped;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Capped, A::Error> {
        // No `size_hint` preallocation: the list's length is not known to be within the cap.
        let mut items = Vec::new();
        while items.len() < self.cap {
            match seq.next_element::<String>()? {
                Some(item) => items.push(item),
                None => {
                    let len = items.len();
                    return Ok(Capped { items, len });
                }
            }
        }
        let mut len = items.len();
        while seq.next_element::<IgnoredAny>()?.is_some() {
            len += 1;
        }
        if len > self.cap {
            items = Vec::new();
        }
        Ok(Capped { items, len })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::parse_line;

    #[test]
    fn lists_over_the_cap_are_counted_not_kept() {
        let line = parse_line(
            r#"{"tokens": ["a", "b", "c"], "labels": ["x"], "n": {"deep": [1]}}"#,
            2,
        )
        .unwrap();
        assert_eq!((line.tokens.len, line.tokens.items.len()), (3, 0));
        assert_eq!(line.labels.items, ["x"]);
        let exact =
            parse_line(r#"{"tokens": ["a", "b"], "labels": [], "split": null}"#, 2).unwrap();
        assert_eq!(exact.tokens.items, ["a", "b"]);
        assert_eq!(exact.split, None);
    }

    #[test]
    fn malformed_objects_are_errors() {
        for (text, needle) in [
            (r#"{"tokens": ["a"]}"#, "missing field `labels`"),
            (
                r#"{"tokens": [], "tokens": [], "labels": []}"#,
                "duplicate field `tokens`",
            ),
            (r#"{"tokens": [1], "labels": []}"#, "invalid type"),
            (r#"{"tokens": [], "labels": []} x"#, "trailing characters"),
            ("[]", "invalid type"),
        ] {
            let error = parse_line(text, 4).unwrap_err().to_string();
            assert!(error.contains(needle), "{text}: {error}");
        }
    }
}
