//! [`Overrides`] as `tprog train` flags: a sweep's runs are `tprog train` processes, so every
//! parameter a sweep may set is a flag of that command.

use tprog_pipeline::Overrides;

/// The `tprog train` flag of each [`Overrides`] field (its JSON name).
pub const FLAGS: [(&str, &str); 29] = [
    ("seed", "--seed"),
    ("n_epochs", "--epochs"),
    ("batch_size", "--batch-size"),
    ("lr", "--lr"),
    ("tau_init", "--tau-init"),
    ("tau_end", "--tau-end"),
    ("sample_fn", "--sample-fn"),
    ("gumbel_samples", "--gumbel-samples"),
    ("bos_default", "--bos-default"),
    ("max_grad_norm", "--max-grad-norm"),
    ("patience", "--patience"),
    ("step_chunks", "--step-chunks"),
    ("glove", "--glove"),
    ("n_layers", "--n-layers"),
    ("n_heads_cat", "--n-heads-cat"),
    ("n_heads_num", "--n-heads-num"),
    ("n_cat_mlps", "--n-cat-mlps"),
    ("n_num_mlps", "--n-num-mlps"),
    ("d_var", "--d-var"),
    ("n_vars_cat", "--n-vars-cat"),
    ("dataset_size", "--dataset-size"),
    ("vocab_size", "--vocab-size"),
    ("min_length", "--min-length"),
    ("max_length", "--max-length"),
    ("architecture", "--model"),
    ("d_model", "--d-model"),
    ("n_heads", "--heads"),
    ("d_mlp", "--d-mlp"),
    ("dropout", "--dropout"),
];

/// The fields held as `f32`.
const F32_FIELDS: [&str; 3] = ["lr", "max_grad_norm", "dropout"];

/// The flags that give a run `overrides` (unset fields give none), in [`FLAGS`] order. Paths
/// (`glove`) are made absolute so that the run finds them from any directory.
pub fn train_flags(overrides: &Overrides) -> Vec<String> {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(overrides) else {
        return Vec::new(); // Overrides is a struct of plain values: always an object.
    };
    let mut flags = Vec::new();
    for (field, flag) in FLAGS {
        let text = match fields.get(field) {
            None | Some(serde_json::Value::Null) => continue,
            Some(serde_json::Value::String(s)) if field == "glove" => {
                let path = std::path::Path::new(s);
                std::path::absolute(path).map_or_else(|_| s.clone(), |p| p.display().to_string())
            }
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
                (Some(whole), _) => whole.to_string(),
                // Shortest text that reads back as the same f32 (0.05, not 0.0500000007).
                (None, Some(x)) if F32_FIELDS.contains(&field) => (x as f32).to_string(),
                (None, Some(x)) => x.to_string(),
                (None, None) => n.to_string(),
            },
            Some(other) => other.to_string(),
        };
        flags.push(flag.to_owned());
        flags.push(text);
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_flag() {
        // Built field by field (no `..Default`), so a new field fails to compile here until it
        // is given a flag.
        let every = Overrides {
            seed: Some(1),
            n_epochs: Some(2),
            batch_size: Some(3),
            lr: Some(0.05),
            tau_init: Some(3.0),
            tau_end: Some(0.01),
            sample_fn: Some(tprog_train::TrainSampler::GumbelHard),
            gumbel_samples: Some(3),
            bos_default: Some(tprog_model_bos()),
            max_grad_norm: Some(1.5),
            patience: Some(4),
            step_chunks: Some(8),
            glove: Some("/g.txt".into()),
            n_layers: Some(5),
            n_heads_cat: Some(6),
            n_heads_num: Some(7),
            n_cat_mlps: Some(8),
            n_num_mlps: Some(9),
            d_var: Some(25),
            n_vars_cat: Some(2),
            dataset_size: Some(10),
            vocab_size: Some(16),
            min_length: Some(2),
            max_length: Some(16),
            architecture: Some(tprog_train::presets::Architecture::Standard),
            d_model: Some(11),
            n_heads: Some(12),
            d_mlp: Some(13),
            dropout: Some(0.25),
        };
        let fields = serde_json::to_value(&every).unwrap_or_default();
        let fields = fields.as_object().map_or(0, |o| o.len());
        assert_eq!(
            fields,
            FLAGS.len(),
            "an Overrides field has no flag in FLAGS"
        );
        let flags = train_flags(&every);
        assert_eq!(flags.len(), 2 * FLAGS.len());
        let pairs: Vec<(&str, &str)> = flags
            .chunks(2)
            .map(|p| (p[0].as_str(), p[1].as_str()))
            .collect();
        assert!(pairs.contains(&("--lr", "0.05")), "{pairs:?}");
        assert!(pairs.contains(&("--tau-init", "3")), "{pairs:?}");
        assert!(pairs.contains(&("--sample-fn", "gumbel_hard")));
        assert!(pairs.contains(&("--bos-default", "soft")));
        assert!(pairs.contains(&("--model", "standard")));
        assert!(pairs.contains(&("--epochs", "2")));
        assert!(pairs.contains(&("--dropout", "0.25")));
        assert!(pairs.contains(&("--glove", "/g.txt")));
    }

    fn tprog_model_bos() -> tprog_model::BosDefault {
        tprog_model::BosDefault::Soft
    }

    #[test]
    fn unset_fields_give_no_flag() {
        assert!(train_flags(&Overrides::default()).is_empty());
    }
}
