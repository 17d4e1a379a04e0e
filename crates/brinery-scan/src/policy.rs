//! The policy: which globals are safe, dangerous or unknown, as data.
//!
//! The built-in table is `policy.txt` (compiled in); users extend it with
//! `--allow`, `--deny` and policy files in the same format. The format and
//! the rules are documented in `docs/scan-policy.md`.

use std::fmt;
use std::sync::{Arc, OnceLock};

/// How much a global (or a call, or a whole file) is to be trusted.
/// Ordered: `Safe < Unknown < Dangerous`, so the verdict is a maximum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Class {
    /// On the allowlist: loading it cannot run code.
    #[default]
    Safe,
    /// On no list: a third-party class or function whose effects are not known.
    Unknown,
    /// Can run code or touch the system.
    Dangerous,
}

impl Class {
    /// The lower-case name used in reports (`safe`, `unknown`, `dangerous`).
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Safe => "safe",
            Class::Unknown => "unknown",
            Class::Dangerous => "dangerous",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy entry that could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("policy line {line}: {message}: {text:?}")]
pub struct PolicyError {
    /// 1-based line in the policy text (1 for a single `--allow`/`--deny` entry).
    pub line: usize,
    /// What is wrong.
    pub message: &'static str,
    /// The offending text.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum NamePat {
    /// A bare module entry: every name in the module and its submodules.
    Any,
    Exact(String),
    Prefix(String),
    Suffix(String),
}

/// One entry: `module`, `module:name`, `module:pre*`, `module:*suf`, `*:name`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    /// `None` for `*` (any module).
    module: Option<String>,
    name: NamePat,
    text: String,
}

impl Rule {
    fn parse(text: &str, line: usize) -> Result<Rule, PolicyError> {
        let fail = |message| Err(PolicyError { line, message, text: text.to_string() });
        let (module, name) = match text.split_once(':') {
            None => (text, None),
            Some((m, n)) => (m, Some(n)),
        };
        if module.is_empty() || module.contains(char::is_whitespace) {
            return fail("expected `module`, `module:name` or `*:name`");
        }
        let module = if module == "*" { None } else { Some(module.to_string()) };
        let name = match name {
            None if module.is_none() => return fail("`*` needs a name (`*:name`)"),
            None => NamePat::Any,
            Some("") | Some("*") => return fail("empty name pattern (use the bare module for all names)"),
            Some(n) if n.contains(char::is_whitespace) => return fail("names contain no spaces"),
            Some(n) => match (n.strip_prefix('*'), n.strip_suffix('*')) {
                (Some(s), None) if !s.contains('*') => NamePat::Suffix(s.to_string()),
                (None, Some(p)) if !p.contains('*') => NamePat::Prefix(p.to_string()),
                (None, None) => NamePat::Exact(n.to_string()),
                _ => return fail("`*` may only start or end a name"),
            },
        };
        Ok(Rule { module, name, text: text.to_string() })
    }

    fn matches(&self, module: &str, name: &str) -> bool {
        let module_ok = match &self.module {
            None => true,
            Some(m) if matches!(self.name, NamePat::Any) => {
                module == m || (module.starts_with(m.as_str()) && module.as_bytes().get(m.len()) == Some(&b'.'))
            }
            Some(m) => module == m,
        };
        module_ok
            && match &self.name {
                NamePat::Any => true,
                NamePat::Exact(n) => name == n,
                NamePat::Prefix(p) => name.starts_with(p.as_str()),
                NamePat::Suffix(s) => name.ends_with(s.as_str()),
            }
    }
}

/// Dunder names a global may legitimately have (everything else with
/// `__x__` form is dangerous: module internals such as `__builtins__`, or a
/// walk through `__globals__`/`__self__`/`__dict__`).
const HARMLESS_DUNDERS: &[&str] = &["__newobj__", "__newobj_ex__", "__new__"];

fn is_dunder(part: &str) -> bool {
    part.len() > 4 && part.starts_with("__") && part.ends_with("__") && !HARMLESS_DUNDERS.contains(&part)
}

/// Why a global got its class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    /// The class.
    pub class: Class,
    /// A short human explanation (`"matches dangerous entry `os`"`).
    pub why: String,
}

/// The policy: built-in lists plus the user's additions.
///
/// ```
/// use brinery_scan::policy::{Class, Policy};
/// let mut policy = Policy::builtin();
/// assert_eq!(policy.classify("os", "system", false).class, Class::Dangerous);
/// assert_eq!(policy.classify("collections", "OrderedDict", false).class, Class::Safe);
/// assert_eq!(policy.classify("sklearn.linear_model._base", "LinearRegression", false).class, Class::Unknown);
/// policy.allow("sklearn").unwrap();
/// assert_eq!(policy.classify("sklearn.linear_model._base", "LinearRegression", false).class, Class::Safe);
/// // A protocol-4 dotted name is an attribute walk: `torch` + `os.system` reaches `os.system`.
/// assert_eq!(policy.classify("torch", "os.system", true).class, Class::Dangerous);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Policy {
    // The built-in lists are parsed once and shared by every copy (a scan
    // with default options clones them); a user's loaders copy on write.
    safe: Arc<Vec<Rule>>,
    dangerous: Arc<Vec<Rule>>,
    loaders: Arc<Vec<Rule>>,
    user_allow: Vec<Rule>,
    user_deny: Vec<Rule>,
}

const BUILTIN: &str = include_str!("policy.txt");

impl Policy {
    /// The built-in policy (`policy.txt`), parsed on first use.
    pub fn builtin() -> Policy {
        static PARSED: OnceLock<Policy> = OnceLock::new();
        PARSED
            .get_or_init(|| {
                let mut p = Policy::default();
                p.load_text(BUILTIN, false).expect("the built-in policy parses");
                p
            })
            .clone()
    }

    /// Adds a policy file's entries: its `[safe]` entries as `--allow`, its
    /// `[dangerous]` ones as `--deny`, its `[loaders]` as loaders.
    pub fn extend_from_text(&mut self, text: &str) -> Result<(), PolicyError> {
        self.load_text(text, true)
    }

    /// `--allow ENTRY`: makes matching *unknown* globals safe. It never
    /// overrides the built-in dangerous list (see `docs/scan-policy.md`).
    pub fn allow(&mut self, entry: &str) -> Result<(), PolicyError> {
        self.user_allow.push(Rule::parse(entry.trim(), 1)?);
        Ok(())
    }

    /// `--deny ENTRY`: makes matching globals dangerous, whatever else matches.
    pub fn deny(&mut self, entry: &str) -> Result<(), PolicyError> {
        self.user_deny.push(Rule::parse(entry.trim(), 1)?);
        Ok(())
    }

    fn load_text(&mut self, text: &str, user: bool) -> Result<(), PolicyError> {
        let mut section = None;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = match name {
                    "safe" | "dangerous" | "loaders" => Some(name),
                    _ => {
                        return Err(PolicyError {
                            line: i + 1,
                            message: "unknown section (expected [safe], [dangerous] or [loaders])",
                            text: line.to_string(),
                        })
                    }
                };
                continue;
            }
            let rule = Rule::parse(line, i + 1)?;
            let list = match (section, user) {
                (Some("safe"), false) => Arc::make_mut(&mut self.safe),
                (Some("safe"), true) => &mut self.user_allow,
                (Some("dangerous"), false) => Arc::make_mut(&mut self.dangerous),
                (Some("dangerous"), true) => &mut self.user_deny,
                (Some(_), _) => Arc::make_mut(&mut self.loaders),
                (None, _) => {
                    return Err(PolicyError {
                        line: i + 1,
                        message: "entry before any [section]",
                        text: line.to_string(),
                    })
                }
            };
            list.push(rule);
        }
        Ok(())
    }

    /// Whether `module.name` unpickles a bytes argument (its bytes are scanned as a pickle).
    pub fn is_loader(&self, module: &str, name: &str) -> bool {
        self.loaders.iter().any(|r| r.matches(module, name))
    }

    fn dangerous_match(&self, module: &str, name: &str) -> Option<String> {
        if let Some(r) = self.user_deny.iter().find(|r| r.matches(module, name)) {
            return Some(format!("denied by `{}`", r.text));
        }
        self.dangerous.iter().find(|r| r.matches(module, name)).map(|r| format!("matches dangerous entry `{}`", r.text))
    }

    /// Classifies the global `module.name` as CPython's `find_class` would
    /// resolve it. `walk` says the name is resolved by attribute walk (a
    /// dotted name at protocol ≥ 4): then every step of the walk is judged,
    /// and every step that could be a module re-exported as an attribute
    /// (`torch` + `os.system` is `os.system`).
    pub fn classify(&self, module: &str, name: &str, walk: bool) -> Judgement {
        let dangerous = |why: String| Judgement { class: Class::Dangerous, why };
        if let Some(why) = self.dangerous_match(module, name) {
            return dangerous(why);
        }
        if let Some(part) = module.split('.').find(|p| is_dunder(p)) {
            return dangerous(format!("module path goes through `{part}`"));
        }
        let parts: Vec<&str> = if walk { name.split('.').collect() } else { vec![name] };
        if let Some(part) = parts.iter().find(|p| is_dunder(p)) {
            return dangerous(format!("name goes through `{part}`"));
        }
        if walk && parts.len() > 1 {
            // Each step: the object reached so far, then the attribute taken from it.
            if let Some(why) = self.dangerous_match(module, parts[0]) {
                return dangerous(format!("attribute walk starts at `{module}.{}`, which {why}", parts[0]));
            }
            for i in 0..parts.len() - 1 {
                let (m, rest) = (parts[..=i].join("."), parts[i + 1..].join("."));
                // Modules re-export their imports, often under a private alias (`import os as _os`).
                let alias = parts[i].trim_start_matches('_');
                for (mm, nn) in [(m.as_str(), rest.as_str()), (parts[i], rest.as_str()), (alias, rest.as_str())] {
                    if let Some(why) = self.dangerous_match(mm, nn) {
                        return dangerous(format!("attribute walk reaches `{mm}.{nn}`, which {why}"));
                    }
                }
            }
        }
        if let Some(r) = self.user_allow.iter().find(|r| r.matches(module, name)) {
            return Judgement { class: Class::Safe, why: format!("allowed by `{}`", r.text) };
        }
        if let Some(r) = self.safe.iter().find(|r| r.matches(module, name)) {
            return Judgement { class: Class::Safe, why: format!("matches safe entry `{}`", r.text) };
        }
        Judgement { class: Class::Unknown, why: "on no list".to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(module: &str, name: &str) -> Class {
        Policy::builtin().classify(module, name, false).class
    }

    #[test]
    fn modules_cover_their_submodules_only() {
        assert_eq!(class("os", "system"), Class::Dangerous);
        assert_eq!(class("os.path", "join"), Class::Dangerous);
        assert_eq!(class("torch._inductor.codecache", "compile_file"), Class::Dangerous);
        assert_eq!(class("osx", "thing"), Class::Unknown);
        assert_eq!(class("numpy.testing._private.utils", "runstring"), Class::Dangerous);
    }

    #[test]
    fn names_and_patterns() {
        assert_eq!(class("builtins", "eval"), Class::Dangerous);
        assert_eq!(class("builtins", "list"), Class::Safe);
        assert_eq!(class("builtins", "ValueError"), Class::Safe);
        assert_eq!(class("numpy", "float64"), Class::Safe);
        assert_eq!(class("uuid", "_get_command_stdout"), Class::Dangerous);
        assert_eq!(class("uuid", "UUID"), Class::Safe);
        assert_eq!(class("anything.at.all", "loads"), Class::Dangerous);
        assert_eq!(class("builtins", "__builtins__"), Class::Dangerous);
        assert_eq!(class("copyreg", "__newobj__"), Class::Safe);
    }

    #[test]
    fn attribute_walks_are_judged_step_by_step() {
        let p = Policy::builtin();
        assert_eq!(p.classify("builtins", "getattr.__self__", true).class, Class::Dangerous);
        assert_eq!(p.classify("numpy", "os.system", true).class, Class::Dangerous);
        assert_eq!(p.classify("collections", "_sys.modules", true).class, Class::Dangerous);
        assert_eq!(p.classify("collections", "OrderedDict.__init__.__globals__", true).class, Class::Dangerous);
        assert_eq!(p.classify("collections", "OrderedDict.fromkeys", true).class, Class::Unknown);
    }

    #[test]
    fn user_entries() {
        let mut p = Policy::builtin();
        p.deny("collections:OrderedDict").unwrap();
        p.allow("os").unwrap();
        assert_eq!(p.classify("collections", "OrderedDict", false).class, Class::Dangerous);
        assert_eq!(p.classify("os", "system", false).class, Class::Dangerous, "allow never beats dangerous");
        p.extend_from_text("[safe]\nsklearn  # estimators\n[loaders]\nmylib:unpickle\n").unwrap();
        assert_eq!(p.classify("sklearn.tree", "DecisionTreeClassifier", false).class, Class::Safe);
        assert!(p.is_loader("mylib", "unpickle"));
        assert!(p.allow("a b").is_err());
        assert!(p.allow("*").is_err());
        assert!(p.extend_from_text("os\n").is_err());
    }
}
