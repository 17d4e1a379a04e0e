//! Finding every tensor in a checkpoint's object and naming it the way
//! `state_dict()` does.

use super::{rebuild, Checkpoint, Tensor};
use crate::{Error, Result};
use brinery::value::Update;
use brinery::Value;

/// Nesting deeper than this is refused rather than walked (the pickle
/// machine's own depth limit keeps real files far below it).
const MAX_DEPTH: usize = 10_000;

/// Attributes of a `torch.nn.Module` whose contents take no name of their
/// own: `model._modules['fc']._parameters['weight']` is `fc.weight`.
const MODULE_TABLES: [&str; 3] = ["_parameters", "_buffers", "_modules"];

/// Appends every tensor reachable from `value` to `out`, named from `prefix`.
pub(crate) fn walk<'c, 'a>(
    ckpt: &'c Checkpoint<'a>,
    value: &'c Value<'a>,
    dir: &str,
    prefix: &str,
    out: &mut Vec<(String, Tensor<'c>)>,
) -> Result<()> {
    Walker { ckpt, dir, out, path: Vec::new() }.visit(value, prefix)
}

struct Walker<'w, 'c, 'a> {
    ckpt: &'c Checkpoint<'a>,
    dir: &'w str,
    out: &'w mut Vec<(String, Tensor<'c>)>,
    /// Identities of the containers on the way down, to stop at cycles.
    path: Vec<usize>,
}

impl<'c, 'a> Walker<'_, 'c, 'a> {
    fn visit(&mut self, value: &'c Value<'a>, name: &str) -> Result<()> {
        if let Some(tensor) = rebuild::tensor(self.ckpt, value, self.dir) {
            let tensor = tensor.map_err(|e| Error::Malformed(format!("tensor {name}: {e}")))?;
            self.out.push((name.to_string(), tensor));
            return Ok(());
        }
        let Some(id) = value.identity() else { return Ok(()) };
        if self.path.contains(&id) {
            return Ok(());
        }
        if self.path.len() >= MAX_DEPTH {
            return Err(Error::Malformed(format!("{name}: nested deeper than {MAX_DEPTH}")));
        }
        self.path.push(id);
        let result = self.children(value, name);
        self.path.pop();
        result
    }

    fn children(&mut self, value: &'c Value<'a>, name: &str) -> Result<()> {
        match value {
            Value::Dict(pairs) => self.pairs(pairs.iter().map(|(k, v)| (k, v)), name, false),
            Value::List(items) | Value::Tuple(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.visit(item, &join(name, &i.to_string()))?;
                }
                Ok(())
            }
            Value::Object(object) => {
                // OrderedDict and other dict subclasses carry their items as SETITEMS.
                self.pairs(object.dict_items(), name, false)?;
                for (i, item) in object.list_items().enumerate() {
                    self.visit(item, &join(name, &i.to_string()))?;
                }
                match object.state() {
                    // `(state, slotstate)` from a class with `__slots__`.
                    Some(Value::Tuple(parts)) if parts.len() == 2 => {
                        for part in parts.iter().filter(|p| p.as_dict().is_some()) {
                            self.state(part, name)?;
                        }
                        Ok(())
                    }
                    Some(state) => self.state(state, name),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// A BUILD state: an attribute dict, or anything else walked as a child.
    fn state(&mut self, state: &'c Value<'a>, name: &str) -> Result<()> {
        match state.as_dict() {
            Some(pairs) => self.pairs(pairs.iter().map(|(k, v)| (k, v)), name, true),
            None => self.visit(state, name),
        }
    }

    fn pairs(
        &mut self,
        pairs: impl Iterator<Item = (&'c Value<'a>, &'c Value<'a>)>,
        name: &str,
        attributes: bool,
    ) -> Result<()> {
        for (key, item) in pairs {
            let key_name = key.as_str().map(str::to_string).unwrap_or_else(|| key.to_string());
            if attributes && MODULE_TABLES.contains(&key_name.as_str()) {
                self.visit(item, name)?;
            } else {
                self.visit(item, &join(name, &key_name))?;
            }
        }
        Ok(())
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Every storage persistent id in `value`'s graph, each object once.
pub(crate) fn persistent_ids<'v, 'a>(value: &'v Value<'a>) -> Vec<&'v Value<'a>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        if let Some(id) = v.identity() {
            if !seen.insert(id) {
                continue;
            }
        }
        if let Some(pid) = rebuild::persistent_id(v) {
            out.push(pid);
            continue;
        }
        match v {
            Value::Dict(pairs) => stack.extend(pairs.iter().flat_map(|(k, v)| [k, v])),
            Value::List(items) | Value::Tuple(items) | Value::Set(items) | Value::FrozenSet(items) => {
                stack.extend(items.iter())
            }
            Value::Object(object) => {
                stack.extend(crate::constructor_parts(object));
                for update in object.updates() {
                    match update {
                        Update::Build(v) | Update::Append(v) => stack.push(v),
                        Update::SetItem(k, v) => stack.extend([k, v]),
                    }
                }
            }
            _ => {}
        }
    }
    out
}
