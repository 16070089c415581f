//! The classifier pass: the rows of `W_U` for every variable, in the model's stream order
//! (categorical blocks, then numerical scalars), and the classes the model masks.

use tprog_model::Model;
use tprog_program::{Classifier, Feature};

use crate::stream::Stream;

/// One feature per variable: `k` rows for a categorical block, one row for a numerical scalar.
pub(crate) fn classifier(model: &Model, stream: &Stream) -> Classifier {
    let layout = model.layout();
    let (k, classes) = (layout.k, model.config().n_classes);
    let w_u = model.w_u(); // [D_U, C]
    let row = |d: usize| w_u[d * classes..(d + 1) * classes].to_vec(); // [C]
    let categorical = stream.cat.iter().enumerate().map(|(block, name)| Feature {
        variable: name.clone(),
        weights: (0..k).map(|v| row(block * k + v)).collect(),
    });
    let d_cat = layout.d_cat();
    let numerical = stream.num.iter().enumerate().map(|(i, name)| Feature {
        variable: name.clone(),
        weights: vec![row(d_cat + i)],
    });
    Classifier {
        features: categorical.chain(numerical).collect(),
        pooled: model.config().pool_outputs,
    }
}

/// The names of the classes the model never predicts (none when `unembed_mask` is off).
pub(crate) fn masked_classes(model: &Model, output_vocab: &[String]) -> Vec<String> {
    let config = model.config();
    if !config.unembed_mask {
        return Vec::new();
    }
    let mut masked: Vec<usize> = config.masked_classes.clone();
    masked.sort_unstable();
    masked.dedup();
    masked
        .into_iter()
        .filter_map(|c| output_vocab.get(c).cloned())
        .collect()
}
