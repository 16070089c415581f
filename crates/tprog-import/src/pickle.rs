//! A small pickle reader for exactly the opcodes `torch.save(state_dict)` emits (protocol 2).
//!
//! Why not a crate: `serde-pickle` 1.2 rejects `BINPERSID` (how torch names its storages) and
//! drops the arguments of globals it does not know (`_rebuild_tensor_v2`), and the pickle module
//! of `candle-core` drags in a whole tensor framework (gemm, tokenizers) and skips
//! `BoolStorage` buffers. So this module runs a deliberately narrow pickle machine: the
//! opcodes of protocols 0–4 that a state dict can contain, the callables
//! `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` and `_rebuild_parameter`, and
//! persistent ids of the form `('storage', torch.XStorage, key, location, numel)`. Everything else
//! is an error with the byte offset of the offending opcode; nothing here panics on bad input.
//!
//! Values share their children through `Rc` so memo look-ups are cheap, and every container
//! records its nesting depth, capped at [`MAX_DEPTH`] (see `pickle_value.rs`), so a hostile file can neither blow up
//! memory through repeated memo copies nor overflow the stack when a deep value is dropped. To
//! keep those depths exact, a list or dict is frozen once it is put inside another container
//! (the pickler always finishes a container before nesting it, so real files never notice).

use std::collections::HashMap;
use std::rc::Rc;

use super::pickle_value::{
    MAX_DEPTH, Step, Value, extend_list, reduce, set_items, storage_from_pid,
};

/// A failure to run the pickle: the byte offset of the opcode and what went wrong.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PickleError {
    /// Offset of the opcode that failed, from the start of `data.pkl`.
    pub offset: usize,
    /// What was wrong there.
    pub reason: String,
}

/// Runs the pickle in `data` and returns the value on top of the stack at `STOP`.
pub(crate) fn load(data: &[u8]) -> Result<Value, PickleError> {
    let mut machine = Machine {
        data,
        pos: 0,
        op_start: 0,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
    };
    machine.run().map_err(|reason| PickleError {
        offset: machine.op_start,
        reason,
    })
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    op_start: usize,
    stack: Vec<Value>,
    /// Stack lengths at each `MARK` (Python's metastack).
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
}

impl Machine<'_> {
    // Over 120 lines on purpose: the pickle machine's dispatch, one short arm per opcode, like
    // the opcode table of the format it reads.
    fn run(&mut self) -> Step<Value> {
        loop {
            self.op_start = self.pos;
            let op = self.take(1)?[0];
            match op {
                0x80 => {
                    let version = self.take(1)?[0];
                    if version > 5 {
                        return Err(format!("unsupported pickle protocol {version}"));
                    }
                }
                0x95 => {
                    self.take(8)?; // FRAME: a length hint only
                }
                b'.' => return self.pop(),
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool),
                0x89 => self.stack.push(Value::Bool),
                b'K' => {
                    let v = self.take(1)?[0];
                    self.stack.push(Value::Int(i64::from(v)));
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.array()?);
                    self.stack.push(Value::Int(i64::from(v)));
                }
                b'J' => {
                    let v = i32::from_le_bytes(self.array()?);
                    self.stack.push(Value::Int(i64::from(v)));
                }
                0x8a => {
                    let n = usize::from(self.take(1)?[0]);
                    let v = self.long(n)?;
                    self.stack.push(Value::Int(v));
                }
                0x8b => {
                    let n = u32::from_le_bytes(self.array()?) as usize;
                    let v = self.long(n)?;
                    self.stack.push(Value::Int(v));
                }
                b'G' => {
                    self.take(8)?;
                    self.stack.push(Value::Float);
                }
                b'X' => {
                    let n = u32::from_le_bytes(self.array()?) as usize;
                    self.push_str(n)?;
                }
                0x8c | b'U' => {
                    let n = usize::from(self.take(1)?[0]);
                    self.push_str(n)?;
                }
                b'T' => {
                    let n = u32::from_le_bytes(self.array()?) as usize;
                    self.push_str(n)?;
                }
                b')' => self.stack.push(Value::Tuple(Rc::from(Vec::new()), 1)),
                b't' => {
                    let items = self.pop_mark()?;
                    self.push_tuple(items)?;
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    if self.stack.len() < self.floor() + n {
                        return Err(format!("TUPLE{n} needs {n} items on the stack"));
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    self.push_tuple(items)?;
                }
                b']' => self.stack.push(Value::empty_list()),
                b'l' => {
                    let items = self.pop_mark()?;
                    let list = Value::empty_list();
                    extend_list(&list, items)?;
                    self.stack.push(list);
                }
                b'a' => {
                    let item = self.pop()?;
                    extend_list(self.top()?, vec![item])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    extend_list(self.top()?, items)?;
                }
                b'}' => self.stack.push(Value::empty_dict()),
                b'd' => {
                    let items = self.pop_mark()?;
                    let dict = Value::empty_dict();
                    set_items(&dict, items)?;
                    self.stack.push(dict);
                }
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    set_items(self.top()?, vec![key, value])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    set_items(self.top()?, items)?;
                }
                b'q' => {
                    let index = u32::from(self.take(1)?[0]);
                    self.put(index)?;
                }
                b'r' => {
                    let index = u32::from_le_bytes(self.array()?);
                    self.put(index)?;
                }
                0x94 => {
                    let index =
                        u32::try_from(self.memo.len()).map_err(|_| "memo too large".to_string())?;
                    self.put(index)?;
                }
                b'h' => {
                    let index = u32::from(self.take(1)?[0]);
                    self.get(index)?;
                }
                b'j' => {
                    let index = u32::from_le_bytes(self.array()?);
                    self.get(index)?;
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.stack.push(Value::Global(Rc::new((module, name))));
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (module, name) {
                        (Value::Str(m), Value::Str(n)) => {
                            self.stack
                                .push(Value::Global(Rc::new((m.to_string(), n.to_string()))));
                        }
                        _ => return Err("STACK_GLOBAL needs two strings".to_string()),
                    }
                }
                b'Q' => {
                    let pid = self.pop()?;
                    let storage = storage_from_pid(&pid)?;
                    self.stack.push(Value::Storage(Rc::new(storage)));
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let result = reduce(&callable, &args)?;
                    self.stack.push(result);
                }
                b'b' => {
                    // BUILD: the only one in a state dict sets `_metadata` (module versions) on the
                    // OrderedDict; that state is not needed, so it is dropped.
                    self.pop()?;
                    self.top()?;
                }
                other => return Err(format!("unsupported opcode 0x{other:02x}")),
            }
        }
    }

    fn take(&mut self, n: usize) -> Step<&[u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len());
        let end = end.ok_or_else(|| format!("unexpected end of data (needs {n} more bytes)"))?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Step<[u8; N]> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// A little-endian two's-complement integer of `n` bytes (at most 8).
    fn long(&mut self, n: usize) -> Step<i64> {
        if n > 8 {
            return Err(format!("integer of {n} bytes does not fit in 64 bits"));
        }
        let bytes = self.take(n)?;
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(bytes);
        if n > 0 && n < 8 && bytes[n - 1] & 0x80 != 0 {
            buf[n..].fill(0xff);
        }
        Ok(i64::from_le_bytes(buf))
    }

    fn push_str(&mut self, n: usize) -> Step<()> {
        let bytes = self.take(n)?;
        let text =
            std::str::from_utf8(bytes).map_err(|_| "string is not valid UTF-8".to_string())?;
        let value = Value::Str(Rc::from(text));
        self.stack.push(value);
        Ok(())
    }

    /// A newline-terminated ASCII line (the arguments of `GLOBAL`).
    fn line(&mut self) -> Step<String> {
        let rest = &self.data[self.pos..];
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("unterminated GLOBAL name")?;
        let text = std::str::from_utf8(&rest[..len])
            .map_err(|_| "GLOBAL name is not UTF-8".to_string())?;
        self.pos += len + 1;
        Ok(text.to_string())
    }

    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Step<Value> {
        if self.stack.len() <= self.floor() {
            return Err("stack underflow".to_string());
        }
        self.stack
            .pop()
            .ok_or_else(|| "stack underflow".to_string())
    }

    fn top(&self) -> Step<&Value> {
        if self.stack.len() <= self.floor() {
            return Err("stack underflow".to_string());
        }
        self.stack
            .last()
            .ok_or_else(|| "stack underflow".to_string())
    }

    fn pop_mark(&mut self) -> Step<Vec<Value>> {
        let mark = self.marks.pop().ok_or("no MARK to pop to")?;
        Ok(self.stack.split_off(mark))
    }

    fn push_tuple(&mut self, items: Vec<Value>) -> Step<()> {
        items.iter().for_each(Value::freeze);
        let depth = 1 + items.iter().map(Value::depth).max().unwrap_or(0);
        if depth > MAX_DEPTH {
            return Err(format!("values nested deeper than {MAX_DEPTH}"));
        }
        self.stack.push(Value::Tuple(Rc::from(items), depth));
        Ok(())
    }

    fn put(&mut self, index: u32) -> Step<()> {
        let value = self.top()?.clone();
        self.memo.insert(index, value);
        Ok(())
    }

    fn get(&mut self, index: u32) -> Step<()> {
        let value = self
            .memo
            .get(&index)
            .ok_or_else(|| format!("memo entry {index} is missing"))?
            .clone();
        self.stack.push(value);
        Ok(())
    }
}
