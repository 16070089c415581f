//! The inputs pass: the variables computed from the tokens alone — `tokens` (one-hot
//! embedding) or the learned embedding variables `var{i}_embeddings`, `positions`, and the
//! numerical inputs (`ones` with `count_only`).

use tprog_model::Model;
use tprog_program::{InputSource, InputVariable};

use crate::DecompileError;
use crate::stream::Stream;

/// The input variables in stream order (categorical embeddings, positions, numerical inputs).
pub(crate) fn input_variables(
    model: &Model,
    stream: &Stream,
) -> Result<Vec<InputVariable>, DecompileError> {
    let config = model.config();
    let layout = model.layout();
    let mut inputs = Vec::new();
    if config.one_hot_embed {
        inputs.push(InputVariable {
            name: stream.cat_name(0)?.to_string(),
            source: InputSource::Tokens,
        });
    } else {
        // [n_vars_cat][V]: the argmax value of each embedding variable for each token.
        for (i, values) in model.embedding_table().into_iter().enumerate() {
            inputs.push(InputVariable {
                name: stream.cat_name(i)?.to_string(),
                source: InputSource::Embedding { values },
            });
        }
    }
    inputs.push(InputVariable {
        name: stream.cat_name(layout.n_vars_cat)?.to_string(),
        source: InputSource::Positions,
    });
    for i in 0..layout.n_vars_num {
        inputs.push(InputVariable {
            name: stream.num_name(i)?.to_string(),
            source: InputSource::Ones,
        });
    }
    Ok(inputs)
}
