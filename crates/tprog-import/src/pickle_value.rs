//! The values of the pickle machine in `pickle.rs`, and the state-dict callables it may run.
//!
//! Containers share their children through `Rc` and record their nesting depth (capped at
//! [`MAX_DEPTH`]); a list or dict is frozen once nested so those depths stay exact.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Deepest nesting of containers accepted (a state dict needs about 4).
pub(super) const MAX_DEPTH: usize = 32;

/// The result of one step of the machine: an error is a reason, located by the caller.
pub(super) type Step<T> = Result<T, String>;

/// A storage named by a persistent id: `('storage', torch.<storage_type>, key, location, numel)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StorageRef {
    /// The storage class name, e.g. `FloatStorage`.
    pub storage_type: String,
    /// The archive entry under `<prefix>/data/` that holds the raw bytes.
    pub key: String,
    /// Number of elements the storage holds.
    pub numel: usize,
}

/// A tensor rebuilt by `_rebuild_tensor_v2(storage, offset, size, stride, ...)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TensorRef {
    /// Where the elements live.
    pub storage: StorageRef,
    /// First element of the tensor inside the storage, in elements.
    pub offset: usize,
    /// The tensor's shape.
    pub shape: Vec<usize>,
    /// The tensor's strides, in elements.
    pub stride: Vec<usize>,
}

/// A mutable, shared container (Python lists and dicts are shared by reference).
#[derive(Debug)]
pub(crate) struct Shared<T> {
    /// The items.
    pub items: RefCell<Vec<T>>,
    depth: Cell<usize>,
    frozen: Cell<bool>,
}

impl<T> Shared<T> {
    fn new() -> Rc<Self> {
        Rc::new(Shared {
            items: RefCell::new(Vec::new()),
            depth: Cell::new(1),
            frozen: Cell::new(false),
        })
    }

    fn check_open(&self) -> Step<()> {
        if self.frozen.get() {
            return Err(
                "a list or dict is changed after being nested in another value".to_string(),
            );
        }
        Ok(())
    }
}

/// The values this machine knows.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// `None`.
    None,
    /// `True` / `False` (the value itself is never needed by a state dict).
    Bool,
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A float (the value itself is never needed by a state dict).
    Float,
    /// A text string.
    Str(Rc<str>),
    /// A tuple, with its nesting depth.
    Tuple(Rc<[Value]>, usize),
    /// A list.
    List(Rc<Shared<Value>>),
    /// A dict (insertion-ordered, as `OrderedDict`).
    Dict(Rc<Shared<(Value, Value)>>),
    /// A reference to `module.name`.
    Global(Rc<(String, String)>),
    /// A storage loaded through a persistent id.
    Storage(Rc<StorageRef>),
    /// A rebuilt tensor.
    Tensor(Rc<TensorRef>),
}

impl Value {
    /// Nesting depth: 0 for scalars, 1 + the deepest child for containers.
    pub(super) fn depth(&self) -> usize {
        match self {
            Value::Tuple(_, depth) => *depth,
            Value::List(shared) => shared.depth.get(),
            Value::Dict(shared) => shared.depth.get(),
            Value::Storage(_) | Value::Tensor(_) => 1,
            _ => 0,
        }
    }

    /// A short name of the value's kind, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool => "bool",
            Value::Int(_) => "int",
            Value::Float => "float",
            Value::Str(_) => "str",
            Value::Tuple(..) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Global(_) => "global",
            Value::Storage(_) => "storage",
            Value::Tensor(_) => "tensor",
        }
    }

    pub(super) fn empty_dict() -> Value {
        Value::Dict(Shared::new())
    }

    pub(super) fn empty_list() -> Value {
        Value::List(Shared::new())
    }

    /// Marks a list or dict as nested: it may no longer change (see the module docs).
    pub(super) fn freeze(&self) {
        match self {
            Value::List(shared) => shared.frozen.set(true),
            Value::Dict(shared) => shared.frozen.set(true),
            _ => {}
        }
    }
}

/// Raises the recorded depth of a container about to hold `child`, and freezes `child`.
fn deepen<T>(shared: &Shared<T>, child: &Value) -> Step<()> {
    shared.check_open()?;
    child.freeze();
    let depth = shared.depth.get().max(child.depth() + 1);
    if depth > MAX_DEPTH {
        return Err(format!("values nested deeper than {MAX_DEPTH}"));
    }
    shared.depth.set(depth);
    Ok(())
}

pub(super) fn extend_list(target: &Value, items: Vec<Value>) -> Step<()> {
    let Value::List(list) = target else {
        return Err(format!("APPEND to a {}, not a list", target.kind()));
    };
    for item in items {
        deepen(list, &item)?;
        list.items.borrow_mut().push(item);
    }
    Ok(())
}

/// `SETITEM(S)`: key/value pairs into a dict; a repeated string key replaces the old value.
pub(super) fn set_items(target: &Value, items: Vec<Value>) -> Step<()> {
    let Value::Dict(dict) = target else {
        return Err(format!("SETITEM on a {}, not a dict", target.kind()));
    };
    if items.len() % 2 != 0 {
        return Err("SETITEMS with an odd number of items".to_string());
    }
    let mut items = items.into_iter();
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        deepen(dict, &key)?;
        deepen(dict, &value)?;
        let mut entries = dict.items.borrow_mut();
        let existing = match &key {
            Value::Str(k) => entries
                .iter()
                .position(|(old, _)| matches!(old, Value::Str(o) if o == k)),
            _ => None,
        };
        match existing {
            Some(i) => entries[i].1 = value,
            None => entries.push((key, value)),
        }
    }
    Ok(())
}

fn as_usize(value: &Value, what: &str) -> Step<usize> {
    match value {
        Value::Int(v) => usize::try_from(*v).map_err(|_| format!("{what} is negative ({v})")),
        other => Err(format!("{what} is a {}, not an int", other.kind())),
    }
}

fn as_usizes(value: &Value, what: &str) -> Step<Vec<usize>> {
    match value {
        Value::Tuple(items, _) => items.iter().map(|v| as_usize(v, what)).collect(),
        other => Err(format!("{what} is a {}, not a tuple", other.kind())),
    }
}

/// Reads `('storage', torch.XStorage, key, location, numel)`.
pub(super) fn storage_from_pid(pid: &Value) -> Step<StorageRef> {
    let Value::Tuple(items, _) = pid else {
        return Err(format!("persistent id is a {}, not a tuple", pid.kind()));
    };
    match &items[..] {
        [
            Value::Str(tag),
            Value::Global(class),
            Value::Str(key),
            _location,
            numel,
        ] if &**tag == "storage" => Ok(StorageRef {
            storage_type: class.1.clone(),
            key: key.to_string(),
            numel: as_usize(numel, "storage size")?,
        }),
        _ => Err("persistent id is not ('storage', type, key, location, numel)".to_string()),
    }
}

/// `REDUCE`: calls one of the few callables a state dict uses.
pub(super) fn reduce(callable: &Value, args: &Value) -> Step<Value> {
    let Value::Global(global) = callable else {
        return Err(format!("REDUCE on a {}, not a global", callable.kind()));
    };
    let Value::Tuple(args, _) = args else {
        return Err(format!(
            "REDUCE arguments are a {}, not a tuple",
            args.kind()
        ));
    };
    match (global.0.as_str(), global.1.as_str()) {
        ("collections", "OrderedDict") if args.is_empty() => Ok(Value::empty_dict()),
        ("torch._utils", "_rebuild_tensor_v2") => {
            let [Value::Storage(storage), offset, size, stride, ..] = &args[..] else {
                return Err(
                    "_rebuild_tensor_v2 needs (storage, offset, size, stride, ...)".to_string(),
                );
            };
            let tensor = TensorRef {
                storage: StorageRef::clone(storage),
                offset: as_usize(offset, "storage offset")?,
                shape: as_usizes(size, "tensor size")?,
                stride: as_usizes(stride, "tensor stride")?,
            };
            if tensor.shape.len() != tensor.stride.len() {
                return Err(format!(
                    "tensor has {} sizes but {} strides",
                    tensor.shape.len(),
                    tensor.stride.len()
                ));
            }
            Ok(Value::Tensor(Rc::new(tensor)))
        }
        ("torch._utils", "_rebuild_parameter") => match args.first() {
            Some(tensor @ Value::Tensor(_)) => Ok(tensor.clone()),
            _ => Err("_rebuild_parameter needs a tensor".to_string()),
        },
        (module, name) => Err(format!("unsupported callable {module}.{name}")),
    }
}
