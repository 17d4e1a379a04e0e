//! Plan → value, through the pickle loader's own value sink.
//!
//! Building with the sink the loader uses makes the decoded graph the one
//! loading the pickle would have made: BUILD interns the state's keys and
//! NEWOBJ_EX its keyword names, REDUCE turns the builtin constructors CPython
//! writes into their values, and sealing turns references back into
//! enclosing containers into the same weak cycle handles.
//!
//! Objects are created in the order a pickle stream creates them: a list,
//! dict, set or object exists before its contents are built (so they can
//! refer back to it), a tuple or frozenset only after. A reference back to a
//! tuple from inside its own items builds the tuple there, from the inside,
//! as CPython's pickler writes it; the outer visit then finds it made.

use super::plan::{Ctor, Node, NodeId, Plan, Ref};
use super::Error;
use crate::pickle::sink::Sink;
use crate::pickle::{Item, LoadOptions, ValueSink};
use crate::value::Value;

/// Builds the value a plan describes.
pub(super) fn build(plan: &Plan) -> Result<Value<'static>, Error> {
    let opts = LoadOptions::default();
    let mut b = Builder {
        plan,
        sink: ValueSink::new(&opts, 0),
        slots: (0..plan.nodes.len()).map(|_| Slot::Todo).collect(),
        depth: 0,
        // The sink enforces the loader's limit on containers; leaves and
        // constructor parts are levels of their own here, hence the slack.
        max_depth: 2 * opts.limits.max_depth + 2,
    };
    let root = b.item(plan.root)?;
    b.sink.finish(root).map_err(from_pickle)
}

fn from_pickle(e: crate::pickle::Error) -> Error {
    Error(e.to_string())
}

/// How far building a node got.
enum Slot {
    Todo,
    /// Being built; the count is how many visits are under way (a tuple or
    /// object is entered again from inside its own arguments at most once in a
    /// graph a pickle can describe).
    Busy(u8),
    Done(Item<'static>),
}

struct Builder<'p, 'o> {
    plan: &'p Plan,
    sink: ValueSink<'o, 'static>,
    slots: Vec<Slot>,
    depth: usize,
    max_depth: usize,
}

impl Builder<'_, '_> {
    fn item(&mut self, r: Ref) -> Result<Item<'static>, Error> {
        let id = self.plan.resolve(r)?;
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Error(format!("nesting deeper than {} levels", self.max_depth)));
        }
        let result = crate::stack::guard_at(self.depth, || self.node(id));
        self.depth -= 1;
        result
    }

    fn items(&mut self, refs: &[Ref]) -> Result<Vec<Item<'static>>, Error> {
        refs.iter().map(|&r| self.item(r)).collect()
    }

    fn pairs(&mut self, pairs: &[(Ref, Ref)]) -> Result<Vec<Item<'static>>, Error> {
        let mut out = Vec::with_capacity(2 * pairs.len());
        for &(k, v) in pairs {
            out.push(self.item(k)?);
            out.push(self.item(v)?);
        }
        Ok(out)
    }

    fn done(&mut self, id: NodeId, item: &Item<'static>) {
        self.slots[id as usize] = Slot::Done(item.clone());
    }

    /// Marks a node as being built; fails on a cycle no pickle can make (one
    /// through constructor arguments or tuple items only).
    fn enter(&mut self, id: NodeId) -> Result<(), Error> {
        let slot = &mut self.slots[id as usize];
        *slot = match slot {
            Slot::Todo => Slot::Busy(1),
            Slot::Busy(1) => Slot::Busy(2),
            _ => return Err(Error("an object contains itself through its own arguments".into())),
        };
        Ok(())
    }

    /// The item of a node whose contents were built, if a visit from inside
    /// them already made it.
    fn made(&self, id: NodeId) -> Option<Item<'static>> {
        match &self.slots[id as usize] {
            Slot::Done(item) => Some(item.clone()),
            _ => None,
        }
    }

    fn node(&mut self, id: NodeId) -> Result<Item<'static>, Error> {
        if let Some(item) = self.made(id) {
            return Ok(item);
        }
        let plan = self.plan;
        let item = match &plan.nodes[id as usize] {
            Node::Pending => return Err(Error("a py/reduce refers to itself before it is made".into())),
            Node::Leaf(item) => item.clone(),
            Node::List(refs) => {
                let list = self.sink.empty_list().map_err(from_pickle)?;
                self.done(id, &list);
                let items = self.items(refs)?;
                self.sink.append(&list, items.into_iter()).map_err(from_pickle)?;
                return Ok(list);
            }
            Node::Dict(pairs) => {
                let dict = self.sink.empty_dict().map_err(from_pickle)?;
                self.done(id, &dict);
                let items = self.pairs(pairs)?;
                self.sink.set_items(&dict, items.into_iter()).map_err(from_pickle)?;
                return Ok(dict);
            }
            Node::Set(refs) => {
                let set = self.sink.empty_set().map_err(from_pickle)?;
                self.done(id, &set);
                let items = self.items(refs)?;
                self.sink.add_items(&set, items.into_iter()).map_err(from_pickle)?;
                return Ok(set);
            }
            Node::Tuple(refs) | Node::FrozenSet(refs) => {
                self.enter(id)?;
                let items = self.items(refs)?;
                if let Some(item) = self.made(id) {
                    return Ok(item);
                }
                let made = match &plan.nodes[id as usize] {
                    Node::Tuple(_) => self.sink.tuple(items.into_iter()),
                    _ => self.sink.frozenset(items.into_iter()),
                };
                made.map_err(from_pickle)?
            }
            Node::Object(o) => {
                self.enter(id)?;
                let object = self.construct(&o.ctor)?;
                if let Some(item) = self.made(id) {
                    return Ok(item);
                }
                self.done(id, &object);
                // Pickle's order: appends, set items, then BUILD.
                if !o.appends.is_empty() {
                    let items = self.items(&o.appends)?;
                    self.sink.append(&object, items.into_iter()).map_err(from_pickle)?;
                }
                if !o.setitems.is_empty() {
                    let items = self.pairs(&o.setitems)?;
                    self.sink.set_items(&object, items.into_iter()).map_err(from_pickle)?;
                }
                if let Some(state) = o.state {
                    let state = self.item(state)?;
                    self.sink.build(&object, state).map_err(from_pickle)?;
                }
                return Ok(object);
            }
        };
        self.done(id, &item);
        Ok(item)
    }

    fn construct(&mut self, ctor: &Ctor) -> Result<Item<'static>, Error> {
        let made = match ctor {
            Ctor::Reduce { callable, args } => {
                let (callable, args) = (self.item(*callable)?, self.item(*args)?);
                self.sink.reduce(callable, args)
            }
            Ctor::NewObj { cls, args } => {
                let (cls, args) = (self.item(*cls)?, self.item(*args)?);
                self.sink.new_obj(cls, args)
            }
            Ctor::NewObjEx { cls, args, kwargs } => {
                let (cls, args, kwargs) = (self.item(*cls)?, self.item(*args)?, self.item(*kwargs)?);
                self.sink.new_obj_ex(cls, args, kwargs)
            }
            Ctor::Inst { class, args } => {
                let class = self.item(*class)?;
                if !matches!(class, Item::V(Value::Global(_))) {
                    return Err(Error("INST needs a class named by a global".into()));
                }
                let args = self.items(args)?;
                self.sink.inst(class, args)
            }
            Ctor::Obj { cls, args } => {
                let cls = self.item(*cls)?;
                let args = self.items(args)?;
                self.sink.obj(cls, args)
            }
            Ctor::Persistent { pid, text } => {
                let pid = self.item(*pid)?;
                self.sink.persistent_load(pid, *text)
            }
        };
        made.map_err(from_pickle)
    }
}
