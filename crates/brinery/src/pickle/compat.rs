//! `fix_imports`: the Python 2 ⇄ 3 renames pickle applies for protocols < 3.

#[path = "compat_table.rs"]
mod table;

fn lookup<K: Ord, V: Copy>(rows: &[(K, V)], key: &K) -> Option<V> {
    rows.binary_search_by(|(k, _)| k.cmp(key)).ok().map(|i| rows[i].1)
}

/// Python 2 name → Python 3 name, as CPython's `find_class` maps it on load
/// (e.g. `__builtin__.xrange` → `builtins.range`).
pub(crate) fn py2_to_py3<'n>(module: &'n str, name: &'n str) -> Option<(&'static str, &'n str)> {
    if let Some((m, n)) = lookup(&table::NAME_MAPPING, &(module, name)) {
        return Some((m, n));
    }
    lookup(&table::IMPORT_MAPPING, &module).map(|m| (m, name))
}

/// Python 3 name → Python 2 name, as CPython's pickler maps it on dump.
pub(crate) fn py3_to_py2<'n>(module: &'n str, name: &'n str) -> Option<(&'static str, &'n str)> {
    if let Some((m, n)) = lookup(&table::REVERSE_NAME_MAPPING, &(module, name)) {
        return Some((m, n));
    }
    lookup(&table::REVERSE_IMPORT_MAPPING, &module).map(|m| (m, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_both_directions() {
        assert_eq!(py2_to_py3("__builtin__", "xrange"), Some(("builtins", "range")));
        assert_eq!(py2_to_py3("copy_reg", "_reconstructor"), Some(("copyreg", "_reconstructor")));
        assert_eq!(py2_to_py3("collections", "OrderedDict"), None);
        assert_eq!(py3_to_py2("builtins", "set"), Some(("__builtin__", "set")));
        assert_eq!(py3_to_py2("copyreg", "_reconstructor"), Some(("copy_reg", "_reconstructor")));
        assert_eq!(py3_to_py2("builtins", "range"), Some(("__builtin__", "xrange")));
    }
}
