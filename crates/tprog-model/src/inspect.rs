//! What the decompiler reads from a trained model: the discrete choices (which variable each
//! read picks, each head's predicate table, the learned embedding's values), the classifier
//! weights, and single MLP evaluations in argmax mode through the batched forward's code.

use crate::model::Layer;
use crate::modules::mlp::Mlp;
use crate::modules::read::Read;
use crate::params::Params;
use crate::sampler::{Sampling, argmax_index};
use crate::{Model, ModelError};

/// Categorical or numerical attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadKind {
    /// `cat_attn`.
    Cat,
    /// `num_attn`.
    Num,
}

/// A `ConstrainedRead` of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadSite {
    /// `W_K` of a layer's heads (one choice per head).
    Key(HeadKind, usize),
    /// `W_Q` of a layer's heads.
    Query(HeadKind, usize),
    /// `W_V` of a layer's heads (numerical heads choose among `x_num` scalars).
    Value(HeadKind, usize),
    /// `W_read` of categorical MLP `(layer, m)` (one choice per input).
    CatMlp(usize, usize),
    /// `W_read` of numerical MLP `(layer, m)` (choices index `x_num`).
    NumMlp(usize, usize),
}

/// One MLP frozen in argmax mode, ready for many evaluations.
#[derive(Debug, Clone)]
pub struct DiscreteMlp {
    mlp: Mlp,
    effective: Vec<f32>,
    numerical: bool,
    choices: Vec<usize>,
}

impl DiscreteMlp {
    /// The variables it reads (block indices of `x_cat`, or indices of `x_num`).
    pub fn inputs(&self) -> &[usize] {
        &self.choices
    }

    /// Buffers for [`DiscreteMlp::eval_cat_with`] and [`DiscreteMlp::eval_num_with`], so that
    /// tabulating an MLP over many inputs allocates nothing per evaluation.
    pub fn scratch(&self) -> MlpScratch {
        let (d, k) = (self.mlp.d_mlp, self.mlp.k);
        MlpScratch {
            row: vec![0.0; self.mlp.read.n_vars * self.mlp.read.width],
            set: vec![None; self.mlp.read.n_vars],
            u: vec![0.0; self.mlp.d_u()],
            h: vec![0.0; d],
            logp: vec![0.0; k],
            y: vec![0.0; k],
            soft: vec![0.0; k],
        }
    }

    /// The argmax output for the stream row in `s.row`.
    fn eval_row(&self, s: &mut MlpScratch) -> usize {
        self.mlp.gather(&self.effective, &s.row, &mut s.u);
        self.mlp.forward_position(
            &self.effective,
            Sampling::Argmax,
            &s.u,
            &mut s.h,
            &mut s.logp,
            &mut s.y,
            &mut s.soft,
            None,
        );
        argmax_index(&s.y)
    }

    /// Writes the stream row holding `values` (one per input) into `s.row`.
    fn place(
        &self,
        values: impl ExactSizeIterator<Item = f32>,
        s: &mut MlpScratch,
    ) -> Result<(), ModelError> {
        if values.len() != self.choices.len() {
            return Err(ModelError::MlpInput(format!(
                "{} values for {} inputs",
                values.len(),
                self.choices.len()
            )));
        }
        let w = self.mlp.read.width;
        s.row.fill(0.0);
        s.set.fill(None);
        for (&var, v) in self.choices.iter().zip(values) {
            if let Some(prev) = s.set[var] {
                if prev != v {
                    return Err(ModelError::MlpInput(format!(
                        "inputs read the same variable {var} but got {prev} and {v}"
                    )));
                }
                continue;
            }
            s.set[var] = Some(v);
            if self.numerical {
                s.row[var] = v;
            } else {
                s.row[var * w + v as usize] = 1.0;
            }
        }
        Ok(())
    }

    /// Output value of a categorical MLP for the given input values (one per input).
    pub fn eval_cat(&self, values: &[usize]) -> Result<usize, ModelError> {
        self.eval_cat_with(values, &mut self.scratch())
    }

    /// [`DiscreteMlp::eval_cat`] with caller-owned buffers (from [`DiscreteMlp::scratch`]).
    pub fn eval_cat_with(&self, values: &[usize], s: &mut MlpScratch) -> Result<usize, ModelError> {
        if self.numerical {
            return Err(ModelError::MlpInput("eval_cat on a numerical MLP".into()));
        }
        let k = self.mlp.read.width;
        if let Some(&v) = values.iter().find(|&&v| v >= k) {
            return Err(ModelError::MlpInput(format!("value {v} is outside 0..{k}")));
        }
        self.place(values.iter().map(|&v| v as f32), s)?;
        Ok(self.eval_row(s))
    }

    /// Output value of a numerical MLP for the given input scalars (one per input).
    pub fn eval_num(&self, values: &[f32]) -> Result<usize, ModelError> {
        self.eval_num_with(values, &mut self.scratch())
    }

    /// [`DiscreteMlp::eval_num`] with caller-owned buffers (from [`DiscreteMlp::scratch`]).
    pub fn eval_num_with(&self, values: &[f32], s: &mut MlpScratch) -> Result<usize, ModelError> {
        if !self.numerical {
            return Err(ModelError::MlpInput("eval_num on a categorical MLP".into()));
        }
        self.place(values.iter().copied(), s)?;
        Ok(self.eval_row(s))
    }
}

/// Reusable buffers for evaluating one [`DiscreteMlp`] many times.
#[derive(Debug, Clone)]
pub struct MlpScratch {
    row: Vec<f32>,
    set: Vec<Option<f32>>,
    u: Vec<f32>,
    h: Vec<f32>,
    logp: Vec<f32>,
    y: Vec<f32>,
    soft: Vec<f32>,
}

/// The parameters with only the given read's rows replaced by their argmax one-hot.
fn argmax_eff(params: &Params, read: &Read) -> Vec<f32> {
    let mut eff = params.value.clone();
    for r in 0..read.heads {
        let o = read.offset + r * read.n_vars;
        let i = argmax_index(&params.value[o..o + read.n_vars]);
        crate::sampler::one_hot(i, &mut eff[o..o + read.n_vars]);
    }
    eff
}

impl Model {
    fn layer(&self, layer: usize) -> Result<&Layer, ModelError> {
        self.net.layers.get(layer).ok_or(ModelError::NoSuchModule {
            what: "layer",
            index: layer,
            count: self.net.layers.len(),
        })
    }

    fn read_of(&self, site: ReadSite) -> Result<Read, ModelError> {
        let attn = |kind: HeadKind,
                    l: usize|
         -> Result<(crate::modules::selector::Selector, Read), ModelError> {
            let layer = self.layer(l)?;
            match kind {
                HeadKind::Cat => layer.cat_attn.as_ref().map(|a| (a.select, a.value)),
                HeadKind::Num => layer.num_attn.as_ref().map(|a| (a.select, a.value)),
            }
            .ok_or(ModelError::NoSuchModule {
                what: "attention module",
                index: l,
                count: 0,
            })
        };
        Ok(match site {
            ReadSite::Key(kind, l) => attn(kind, l)?.0.key,
            ReadSite::Query(kind, l) => attn(kind, l)?.0.query,
            ReadSite::Value(kind, l) => attn(kind, l)?.1,
            ReadSite::CatMlp(l, m) => self.mlp(false, l, m)?.read,
            ReadSite::NumMlp(l, m) => self.mlp(true, l, m)?.read,
        })
    }

    fn mlp(&self, numerical: bool, layer: usize, m: usize) -> Result<Mlp, ModelError> {
        let l = self.layer(layer)?;
        let list = if numerical { &l.num_mlps } else { &l.cat_mlps };
        list.get(m).copied().ok_or(ModelError::NoSuchModule {
            what: if numerical {
                "numerical MLP"
            } else {
                "categorical MLP"
            },
            index: m,
            count: list.len(),
        })
    }

    /// The variable each output of a read picks in the discrete model (argmax of `φ`, ties →
    /// lowest): block indices of the module's input (`x_cat` blocks, or `x_num` indices).
    pub fn read_choices(&self, site: ReadSite) -> Result<Vec<usize>, ModelError> {
        Ok(self.read_of(site)?.choices(&self.params.value))
    }

    /// Head `head`'s predicate in the discrete model: entry `q` is the key value matched by
    /// query value `q` (argmax of row `q` of `ψ_h`, ties → lowest).
    pub fn predicate_table(
        &self,
        kind: HeadKind,
        layer: usize,
        head: usize,
    ) -> Result<Vec<usize>, ModelError> {
        let sel = match kind {
            HeadKind::Cat => self.layer(layer)?.cat_attn.as_ref().map(|a| a.select),
            HeadKind::Num => self.layer(layer)?.num_attn.as_ref().map(|a| a.select),
        }
        .ok_or(ModelError::NoSuchModule {
            what: "attention module",
            index: layer,
            count: 0,
        })?;
        if head >= sel.heads {
            return Err(ModelError::NoSuchModule {
                what: "head",
                index: head,
                count: sel.heads,
            });
        }
        Ok(sel.predicate_table(&self.params.value, head))
    }

    /// For each embedding variable, the value each token takes in the discrete model
    /// (`[n_vars_cat][V]`; with the one-hot embedding, token `t` ↦ `t`).
    pub fn embedding_table(&self) -> Vec<Vec<usize>> {
        let e = &self.net.embed;
        let w = &self.params.value[e.w_e..e.w_e + e.n_vars_cat * e.k * e.vocab];
        (0..e.n_vars_cat)
            .map(|v| {
                (0..e.vocab)
                    .map(|t| {
                        let col: Vec<f32> =
                            (0..e.k).map(|c| w[(v * e.k + c) * e.vocab + t]).collect();
                        argmax_index(&col)
                    })
                    .collect()
            })
            .collect()
    }

    /// The classifier weights `W_U`, `[D_U, C]` row-major (rows in stream order).
    pub fn w_u(&self) -> &[f32] {
        let c = &self.net.classifier;
        let d_u = self.net.layout.d_u();
        &self.params.value[c.w_u..c.w_u + d_u * c.n_classes]
    }

    /// Categorical MLP `m` of `layer` frozen in argmax mode.
    pub fn discrete_cat_mlp(&self, layer: usize, m: usize) -> Result<DiscreteMlp, ModelError> {
        let mlp = self.mlp(false, layer, m)?;
        Ok(DiscreteMlp {
            effective: argmax_eff(&self.params, &mlp.read),
            choices: mlp.read.choices(&self.params.value),
            mlp,
            numerical: false,
        })
    }

    /// Numerical MLP `m` of `layer` frozen in argmax mode.
    pub fn discrete_num_mlp(&self, layer: usize, m: usize) -> Result<DiscreteMlp, ModelError> {
        let mlp = self.mlp(true, layer, m)?;
        Ok(DiscreteMlp {
            effective: argmax_eff(&self.params, &mlp.read),
            choices: mlp.read.choices(&self.params.value),
            mlp,
            numerical: true,
        })
    }

    /// One categorical MLP evaluated in argmax mode on the values of the variables it reads.
    pub fn cat_mlp_argmax(
        &self,
        layer: usize,
        m: usize,
        values: &[usize],
    ) -> Result<usize, ModelError> {
        self.discrete_cat_mlp(layer, m)?.eval_cat(values)
    }

    /// One numerical MLP evaluated in argmax mode on the values of the scalars it reads.
    pub fn num_mlp_argmax(
        &self,
        layer: usize,
        m: usize,
        values: &[f32],
    ) -> Result<usize, ModelError> {
        self.discrete_num_mlp(layer, m)?.eval_num(values)
    }
}
