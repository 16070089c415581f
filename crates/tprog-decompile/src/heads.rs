//! The heads pass: each attention head's discrete reads (argmax of its query, key and value
//! choices) and predicate table (argmax of each row of `W_pred`), as `CatHead` / `NumHead`.

use tprog_model::{HeadKind, Model, ReadSite};
use tprog_program::{CatHead, Module, NumHead, Predicate};

use crate::DecompileError;
use crate::stream::Stream;

/// The predicate of head `head`: each query value matches exactly one key value (docs/model.md §4).
fn predicate(
    model: &Model,
    kind: HeadKind,
    layer: usize,
    head: usize,
) -> Result<Predicate, DecompileError> {
    let table = model.predicate_table(kind, layer, head)?;
    Ok(Predicate {
        key_of_query: table.into_iter().map(Some).collect(),
    })
}

/// The categorical heads of `layer`, in head order (closest match, copy the value).
pub(crate) fn cat_heads(
    model: &Model,
    layer: usize,
    stream: &Stream,
) -> Result<Vec<Module>, DecompileError> {
    let layout = model.layout();
    if layout.heads_cat == 0 {
        return Ok(Vec::new());
    }
    let kind = HeadKind::Cat;
    let queries = model.read_choices(ReadSite::Query(kind, layer))?; // [Hc] block indices
    let keys = model.read_choices(ReadSite::Key(kind, layer))?; // [Hc]
    let values = model.read_choices(ReadSite::Value(kind, layer))?; // [Hc]
    (0..layout.heads_cat)
        .map(|h| {
            Ok(Module::CatHead(CatHead {
                output: stream
                    .cat_name(layout.cat_head_block(layer, h))?
                    .to_string(),
                layer,
                query: stream.cat_name(queries[h])?.to_string(),
                key: stream.cat_name(keys[h])?.to_string(),
                value: stream.cat_name(values[h])?.to_string(),
                predicate: predicate(model, kind, layer, h)?,
            }))
        })
        .collect()
}

/// The numerical heads of `layer`, in head order (sum the value over every match); records
/// each output's reachable range in `stream`.
pub(crate) fn num_heads(
    model: &Model,
    layer: usize,
    stream: &mut Stream,
) -> Result<Vec<Module>, DecompileError> {
    let layout = model.layout();
    if layout.heads_num == 0 {
        return Ok(Vec::new());
    }
    let kind = HeadKind::Num;
    let queries = model.read_choices(ReadSite::Query(kind, layer))?; // [Hn] block indices
    let keys = model.read_choices(ReadSite::Key(kind, layer))?; // [Hn]
    let values = model.read_choices(ReadSite::Value(kind, layer))?; // [Hn] x_num indices
    let n_ctx = model.config().n_ctx;
    let mut heads = Vec::with_capacity(layout.heads_num);
    for h in 0..layout.heads_num {
        let value_range = stream.range(values[h])?;
        heads.push(Module::NumHead(NumHead {
            output: stream
                .num_name(layout.num_head_index(layer, h))?
                .to_string(),
            layer,
            query: stream.cat_name(queries[h])?.to_string(),
            key: stream.cat_name(keys[h])?.to_string(),
            value: stream.num_name(values[h])?.to_string(),
            predicate: predicate(model, kind, layer, h)?,
        }));
        stream.push_sum_range(value_range, n_ctx)?;
    }
    Ok(heads)
}
