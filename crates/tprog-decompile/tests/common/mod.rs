//! Helpers shared by the integration tests: model configurations for tasks, generated inputs,
//! and the reference fixtures.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::PathBuf;

use safetensors::SafeTensors;
use safetensors::tensor::Dtype;
use tprog_decompile::Vocabularies;
use tprog_model::ModelConfig;
use tprog_tasks::{Dataset, EncodedSplit, Split, Task, TaskName, TaskParams, encode_examples};

/// The fixture directory (`tests/fixtures/reference` at the workspace root).
pub fn reference_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/reference"
    ))
}

/// A generated dataset of about `size` examples (default parameters otherwise).
pub fn dataset(name: TaskName, size: usize) -> Dataset {
    let params = TaskParams {
        dataset_size: size,
        ..name.default_params()
    };
    Task::new(name, params).unwrap().generate().unwrap()
}

/// Every example of the three splits, encoded at width `n_ctx`.
pub fn all_examples(dataset: &Dataset) -> EncodedSplit {
    let examples: Vec<_> = Split::ALL
        .iter()
        .flat_map(|&s| dataset.split(s).iter().cloned())
        .collect();
    encode_examples(
        &examples,
        "all",
        &dataset.input_vocab,
        &dataset.output_vocab,
        dataset.n_ctx,
    )
    .unwrap()
}

/// `base` with the dataset's context length, vocabulary sizes and masked classes.
pub fn for_dataset(base: ModelConfig, dataset: &Dataset) -> ModelConfig {
    let output = dataset.output_vocab.tokens();
    ModelConfig {
        n_ctx: dataset.n_ctx,
        vocab_size: dataset.input_vocab.len(),
        n_classes: output.len(),
        masked_classes: output
            .iter()
            .enumerate()
            .filter(|(_, c)| *c == "<pad>" || *c == "<unk>")
            .map(|(i, _)| i)
            .collect(),
        pad_token: 0,
        autoregressive: dataset.causal,
        ..base
    }
}

/// The vocabularies of a dataset.
pub fn vocabularies(dataset: &Dataset) -> Vocabularies {
    Vocabularies::from_dataset(dataset)
}

/// A fixture's JSON description.
pub fn fixture_json(tag: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(reference_dir().join(format!("{tag}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A list of strings from a fixture's JSON.
pub fn strings(json: &serde_json::Value, key: &str) -> Vec<String> {
    json[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The model config of a fixture: its reference flags plus the vocabulary facts.
pub fn fixture_config(json: &serde_json::Value) -> ModelConfig {
    let mut config = json["config"].clone();
    let object = config.as_object_mut().unwrap();
    let output = strings(json, "output_vocab");
    object.insert(
        "vocab_size".into(),
        strings(json, "input_vocab").len().into(),
    );
    object.insert("n_classes".into(), output.len().into());
    let masked: Vec<usize> = output
        .iter()
        .enumerate()
        .filter(|(_, s)| *s == "<pad>" || *s == "<unk>")
        .map(|(i, _)| i)
        .collect();
    object.insert("masked_classes".into(), masked.into());
    serde_json::from_value(config).unwrap()
}

/// One tensor of a fixture's safetensors file as `(shape, values)`, integers converted.
pub fn fixture_tensor(tag: &str, name: &str) -> (Vec<usize>, Vec<i64>) {
    let bytes = std::fs::read(reference_dir().join(format!("{tag}.safetensors"))).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let view = st.tensor(name).unwrap();
    let values = match view.dtype() {
        Dtype::I64 => view
            .data()
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect(),
        Dtype::F32 => view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()) as i64)
            .collect(),
        d => panic!("unexpected dtype {d:?} for {name}"),
    };
    (view.shape().to_vec(), values)
}

/// `(tokens, labels)` of one split of a reference data file (`data/<name>.jsonl.gz`).
pub fn reference_split(name: &str, split: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let file = std::fs::File::open(reference_dir().join(format!("data/{name}.jsonl.gz"))).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|row| row["split"] == split)
        .map(|row| {
            let list = |key: &str| -> Vec<String> {
                row[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            };
            (list("tokens"), list("labels"))
        })
        .collect()
}
