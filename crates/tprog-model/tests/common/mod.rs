//! Helpers shared by the integration tests: locating and reading the reference fixtures.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

use safetensors::SafeTensors;
use safetensors::tensor::Dtype;
use tprog_model::ModelConfig;

/// The fixture directory (`tests/fixtures/reference` at the workspace root).
pub fn reference_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/reference"
    ))
}

/// A fixture: its JSON description and all its tensors as f32 (integers converted).
pub struct Fixture {
    pub json: serde_json::Value,
    pub tensors: HashMap<String, (Vec<usize>, Vec<f32>)>,
    pub path: PathBuf,
}

impl Fixture {
    pub fn load(tag: &str) -> Self {
        let dir = reference_dir();
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{tag}.json"))).unwrap(),
        )
        .unwrap();
        let path = dir.join(format!("{tag}.safetensors"));
        let bytes = std::fs::read(&path).unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let mut tensors = HashMap::new();
        for (name, view) in st.tensors() {
            let data: Vec<f32> = match view.dtype() {
                Dtype::F32 => view
                    .data()
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
                Dtype::I64 => view
                    .data()
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f32)
                    .collect(),
                Dtype::U8 | Dtype::BOOL => view.data().iter().map(|&b| f32::from(b)).collect(),
                d => panic!("unexpected dtype {d:?} for {name}"),
            };
            tensors.insert(name, (view.shape().to_vec(), data));
        }
        Self {
            json,
            tensors,
            path,
        }
    }

    pub fn tensor(&self, name: &str) -> &(Vec<usize>, Vec<f32>) {
        self.tensors
            .get(name)
            .unwrap_or_else(|| panic!("fixture has no {name}"))
    }

    pub fn ints(&self, name: &str) -> Vec<u32> {
        self.tensor(name).1.iter().map(|&v| v as u32).collect()
    }

    pub fn vocab(&self, key: &str) -> Vec<String> {
        self.json[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }

    /// The model config: the fixture's reference flags plus the vocabulary facts.
    pub fn config(&self) -> ModelConfig {
        let mut c = self.json["config"].clone();
        let obj = c.as_object_mut().unwrap();
        obj.insert("vocab_size".into(), self.vocab("input_vocab").len().into());
        obj.insert("n_classes".into(), self.vocab("output_vocab").len().into());
        let masked: Vec<usize> = self
            .vocab("output_vocab")
            .iter()
            .enumerate()
            .filter(|(_, s)| *s == "<pad>" || *s == "<unk>")
            .map(|(i, _)| i)
            .collect();
        obj.insert("masked_classes".into(), masked.into());
        serde_json::from_value(c).unwrap()
    }
}

/// `‖a − b‖ / max(‖b‖, tiny)` over the entries where `keep` is true.
pub fn rel_err(a: &[f32], b: &[f32], keep: impl Fn(usize) -> bool) -> f64 {
    assert_eq!(a.len(), b.len());
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for i in (0..a.len()).filter(|&i| keep(i)) {
        let d = f64::from(a[i]) - f64::from(b[i]);
        num += d * d;
        den += f64::from(b[i]) * f64::from(b[i]);
    }
    num.sqrt() / den.sqrt().max(1e-30)
}
