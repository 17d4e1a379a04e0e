"""Names nested values the way state_dict() names tensors: keys and list
indexes joined with '.'. Shared by the fixture writer and the checker."""


def flatten(obj, is_leaf, prefix=""):
    """Yields (name, leaf) for every leaf in nested dicts, lists and tuples."""
    if is_leaf(obj):
        yield prefix, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from flatten(v, is_leaf, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from flatten(v, is_leaf, f"{prefix}.{i}" if prefix else str(i))
