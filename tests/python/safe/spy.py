"""Runs in a fresh interpreter: loads every malicious pickle with
``brinery.loads`` under an audit hook and prints, as JSON, what each load
raised and which imports and calls the hook saw (should be none)."""

import json
import sys

sys.path.insert(0, sys.argv[1])
import copyreg  # noqa: E402

import malicious  # noqa: E402

import brinery  # noqa: E402

corpus = malicious.corpus()
ext = malicious.ext_coded()
modules_before = set(sys.modules)

WATCHED = ("import", "exec", "compile", "os.system", "subprocess.Popen", "open", "os.exec", "os.posix_spawn",
           "ctypes", "socket", "builtins.input", "pickle.find_class")
events = []
recording = False


def hook(event, args):
    if recording and event.startswith(WATCHED):
        events.append([event, repr(args)[:200]])


sys.addaudithook(hook)
results = {}
copyreg.add_extension("posix", "system", 0xF0)
for name, data in corpus + [("ext1_os_system", ext)]:
    events.clear()
    recording = True
    try:
        value = brinery.loads(data)
        outcome = ["loaded", repr(value)[:200]]
    except brinery.UnsafeGlobalError as e:
        outcome = ["refused", e.module, e.name, e.offset]
    except Exception as e:  # noqa: BLE001  (reported, and the test fails on it)
        outcome = ["error", type(e).__name__, str(e)[:200]]
    recording = False
    results[name] = {"outcome": outcome, "events": [e for e in events if e[0] != "pickle.find_class"],
                     "find_class": [e[1] for e in events if e[0] == "pickle.find_class"]}
copyreg.remove_extension("posix", "system", 0xF0)
results["__new_modules__"] = sorted(set(sys.modules) - modules_before)
print(json.dumps(results))
