//! MLPs as Python lookup tables: `if key in {...}: return value` branches, the most frequent
//! output as the default; large numerical tables as run-length lists.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Emitter;
use super::syntax::{function_name, key_literal, parameters, set_literal, tuple_literal};
use crate::ir::{MlpTable, Module, NumMlpTable};

/// Numerical MLPs with at most this many grid cells are written as sets of keys; larger ones
/// as a run-length table.
const MAX_SET_CELLS: u64 = 4096;

impl Emitter<'_> {
    /// Writes a lookup function: one `if key in {...}: return v` branch per output value except
    /// the most frequent one, which is the default (`cells` = (key literal, output) pairs).
    fn emit_table(
        &mut self,
        signature: &str,
        key: &str,
        prelude: &str,
        cells: Vec<(String, usize)>,
    ) {
        let mut by_output: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for (key_literal, output) in cells {
            by_output.entry(output).or_default().push(key_literal);
        }
        let mut outputs: Vec<(usize, Vec<String>)> = by_output.into_iter().collect();
        // Most frequent first; lower output value on equal counts.
        outputs.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let _ = write!(self.text, "\ndef {signature}:\n    _key = {key}\n{prelude}");
        let default = outputs.first().map_or(0, |(output, _)| *output);
        for (index, (output, keys)) in outputs.iter().skip(1).enumerate() {
            let keyword = if index == 0 { "if" } else { "elif" };
            let _ = write!(
                self.text,
                "    {keyword} _key in {}:\n        return {output}\n",
                set_literal(keys, 4)
            );
        }
        let _ = writeln!(self.text, "    return {default}");
    }

    pub(super) fn emit_cat_mlp(&mut self, module: &Module, mlp: &MlpTable) {
        let function = function_name(module);
        let k = self.program.d_var.max(1);
        let _ = write!(
            self.text,
            "\n\n# {}: a table over ({})\n",
            mlp.output,
            mlp.inputs.join(", ")
        );
        // Reading one variable several times: only the diagonal is reachable.
        let mut distinct: Vec<&str> = Vec::new();
        for input in &mlp.inputs {
            if !distinct.contains(&input.as_str()) {
                distinct.push(input);
            }
        }
        let params = parameters(&distinct, false);
        let mut cells = Vec::new();
        for (index, &output) in mlp.table.iter().enumerate() {
            // Decode the row-major index into one value per input (first input most significant).
            let mut rest = index;
            let mut values = vec![0usize; mlp.inputs.len()];
            for slot in values.iter_mut().rev() {
                *slot = rest % k;
                rest /= k;
            }
            let mut chosen: Vec<Option<usize>> = vec![None; distinct.len()];
            let consistent = mlp.inputs.iter().zip(&values).all(|(input, &value)| {
                let position = distinct.iter().position(|d| d == input).unwrap_or(0);
                *chosen[position].get_or_insert(value) == value
            });
            let reachable = distinct
                .iter()
                .zip(&chosen)
                .all(|(name, value)| self.reachable(name, value.unwrap_or(0) as i64));
            if !consistent || !reachable {
                continue;
            }
            let labels: Vec<String> = distinct
                .iter()
                .zip(&chosen)
                .map(|(name, value)| self.label(name, value.unwrap_or(0) as i64))
                .collect();
            cells.push((key_literal(&labels), output));
        }
        let signature = format!("{function}({})", params.join(", "));
        self.emit_table(&signature, &key_literal(&params), "", cells);
    }

    pub(super) fn emit_num_mlp(&mut self, module: &Module, mlp: &NumMlpTable) {
        let function = function_name(module);
        let names: Vec<&str> = mlp
            .inputs
            .iter()
            .map(|input| input.variable.as_str())
            .collect();
        let params = parameters(&names, false);
        let domains: Vec<String> = mlp
            .inputs
            .iter()
            .map(|input| format!("({}, {})", input.min, input.max))
            .collect();
        let domains = tuple_literal(&domains);
        let values = tuple_literal(&params);
        let signature = format!("{function}({})", params.join(", "));
        let _ = write!(
            self.text,
            "\n\n# {}: an exact table over ({}), domains {}\n",
            mlp.output,
            names.join(", "),
            domains
        );
        let cells = mlp
            .runs
            .iter()
            .fold(0u64, |sum, run| sum.saturating_add(run.count));
        if cells > MAX_SET_CELLS {
            let constant = format!("_RUNS_{}", function.to_uppercase());
            let mut end = 0;
            let runs: Vec<String> = mlp
                .runs
                .iter()
                .map(|run| {
                    end += run.count;
                    format!("({end}, {})", run.value)
                })
                .collect();
            let _ = write!(
                self.text,
                "{constant} = [{}]\n\n\ndef {signature}:\n    return _lookup_runs({:?}, {values}, {domains}, {constant})\n",
                runs.join(", "),
                mlp.output
            );
            return;
        }
        let outputs = mlp
            .runs
            .iter()
            .flat_map(|run| std::iter::repeat_n(run.value, run.count as usize));
        let grid = outputs
            .enumerate()
            .map(|(index, output)| {
                // Decode the row-major index (last input fastest) into one value per input.
                let mut rest = index as u64;
                let mut labels = vec![String::new(); mlp.inputs.len()];
                for (label, input) in labels.iter_mut().zip(&mlp.inputs).rev() {
                    let size = (input.max.wrapping_sub(input.min) as u64)
                        .wrapping_add(1)
                        .max(1);
                    *label = input.min.wrapping_add((rest % size) as i64).to_string();
                    rest /= size;
                }
                (key_literal(&labels), output)
            })
            .collect();
        let prelude = format!("    _check_domain({:?}, {values}, {domains})\n", mlp.output);
        self.emit_table(&signature, &key_literal(&params), &prelude, grid);
    }
}
