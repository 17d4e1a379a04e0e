"""Malicious pickles for the safe-loading tests, written by hand (opcode by
opcode) or by objects whose ``__reduce__`` returns a dangerous call.

``corpus()`` returns ``[(name, pickle_bytes)]``. None of them may import or
call anything under ``brinery.loads``; with ``pickle.loads`` each would.
"""

import copyreg
import pickle
import pickletools


def _reduce_to(func, *args):
    class Evil:
        def __reduce__(self):
            return (func, args)

    return Evil()


def _str0(s):
    """A protocol-0 str push with a memo PUT."""
    return b"V" + s.encode("raw_unicode_escape") + b"\n"


def _short_str(s):
    data = s.encode()
    return b"\x8c" + bytes([len(data)]) + data


def hand_made():
    """Pickles no pickler would write: INST/OBJ, memo games, EXT, Python 2 names, dotted names."""
    yield "inst_os_system", b"(S'echo x'\nios\nsystem\n."
    yield "obj_os_system", b"(cos\nsystem\nS'echo x'\no."
    yield "global_posix_system", b"cposix\nsystem\n(S'echo x'\ntR."
    yield "py2_builtin_eval", b"\x80\x02c__builtin__\neval\nX\x04\x00\x00\x001+1\x85R."
    yield "py2_builtin_getattr_chain", (
        b"\x80\x02c__builtin__\ngetattr\nc__builtin__\n__import__\nX\x02\x00\x00\x00os\x85R"
        b"X\x06\x00\x00\x00system\x86RX\x06\x00\x00\x00echo x\x85R."
    )
    # STACK_GLOBAL whose module and name strings come back from the memo.
    yield "memo_assembled_stack_global", (
        b"\x80\x04" + _short_str("os") + b"\x94" + _short_str("system") + b"\x94"
        + b"0" + b"0" + b"h\x00h\x01\x93" + _short_str("echo x") + b"\x85R."
    )
    # Dotted names at protocol 4: an allowed module, a dangerous attribute walk.
    yield "dotted_builtins_dict_class", b"\x80\x04" + _short_str("builtins") + _short_str("dict.__class__") + b"\x93."
    yield "dotted_copyreg_globals", (
        b"\x80\x04" + _short_str("copyreg") + _short_str("_reconstructor.__globals__") + b"\x93."
    )
    yield "dotted_builtins_eval", b"\x80\x04" + _short_str("builtins") + _short_str("eval") + b"\x93" + _short_str("1") + b"\x85R."
    yield "text_global_builtins_exec", b"cbuiltins\nexec\n(S'import os'\ntR."
    yield "getattr_on_allowed_module", (
        b"cbuiltins\ngetattr\n(cbuiltins\ndict\nS'fromkeys'\ntR."
    )
    yield "pkgutil_resolve_name", b"cpkgutil\nresolve_name\n(S'os:system'\ntR(S'echo x'\ntR."
    yield "importlib_import_module", b"cimportlib\nimport_module\n(S'os'\ntR."
    yield "nested_pickle_loads", b"c_pickle\nloads\n(C\x05K\x01.\x00\x00tR."
    yield "defaultdict_factory_eval", b"\x80\x02ccollections\ndefaultdict\ncbuiltins\neval\n\x85R."
    yield "reconstructor_os_system", b"\x80\x02ccopyreg\n_reconstructor\ncos\nsystem\ncbuiltins\nobject\nN\x87R."


def reduced():
    """Pickles written by CPython for objects reducing to dangerous calls, at every protocol."""
    import builtins
    import importlib
    import os
    import pkgutil
    import subprocess

    calls = {
        "os_system": (os.system, "echo x"),
        "builtins_eval": (builtins.eval, "1+1"),
        "builtins_exec": (builtins.exec, "x = 1"),
        "builtins_compile": (builtins.compile, "1", "f", "eval"),
        "builtins_import": (builtins.__import__, "os"),
        "subprocess_popen": (subprocess.Popen, ["echo", "x"]),
        "subprocess_check_output": (subprocess.check_output, ["echo", "x"]),
        "importlib_import_module": (importlib.import_module, "os"),
        "pkgutil_resolve_name": (pkgutil.resolve_name, "os:system"),
        "pickle_loads": (pickle.loads, b"K\x01."),
        "builtins_open": (builtins.open, "/etc/passwd"),
    }
    for name, (func, *args) in calls.items():
        for proto in range(pickle.HIGHEST_PROTOCOL + 1):
            yield f"{name}_p{proto}", pickle.dumps(_reduce_to(func, *args), proto)


def ext_coded():
    """An EXT1 code registered for os.system (the registry is the loading process's)."""
    import os

    copyreg.add_extension("posix", "system", 0xF0)
    try:
        data = pickle.dumps(_reduce_to(os.system, "echo x"), 2)
    finally:
        copyreg.remove_extension("posix", "system", 0xF0)
    assert b"\x82\xf0" in data
    return data


def corpus():
    items = list(hand_made()) + list(reduced())
    for name, data in items:
        pickletools.genops(data)  # each is a well-formed opcode stream up to its end
    return items
