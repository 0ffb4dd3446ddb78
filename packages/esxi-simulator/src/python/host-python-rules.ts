/**
 * The Python source (run by Debian's python3, 3.11) that holds a script to an older interpreter's rules:
 * `ast.parse(..., feature_version=...)` for the syntax, and a table of library names newer than the
 * target (modules, module functions, methods, keywords) for what the syntax check cannot see. Two entry
 * points: `check_main()` (prints JSON problems; used by checkHostPythonScript) and `launch_main()` (the
 * sandbox's /bin/python: refuses what the old interpreter could not parse, reports the emulated version,
 * hides newer modules and module functions, then runs the script).
 */
export const HOST_PYTHON_RULES = String.raw`
import ast, importlib.abc, json, os, sys

# (kind, module or "", name, first version). [derived from the Python docs' "New in version" notes]
NEWER = [
    ("module", "", "secrets", (3, 6)),
    ("module", "", "dataclasses", (3, 7)), ("module", "", "contextvars", (3, 7)),
    ("module", "", "importlib.resources", (3, 7)), ("module", "", "importlib.metadata", (3, 8)),
    ("module", "", "zoneinfo", (3, 9)), ("module", "", "graphlib", (3, 9)), ("module", "", "tomllib", (3, 11)),
    ("function", "time", "time_ns", (3, 7)), ("function", "time", "monotonic_ns", (3, 7)),
    ("function", "contextlib", "nullcontext", (3, 7)), ("function", "asyncio", "run", (3, 7)),
    ("function", "math", "prod", (3, 8)), ("function", "math", "isqrt", (3, 8)), ("function", "math", "dist", (3, 8)),
    ("function", "math", "comb", (3, 8)), ("function", "math", "perm", (3, 8)), ("function", "math", "lcm", (3, 9)),
    ("function", "shlex", "join", (3, 8)), ("function", "functools", "cached_property", (3, 8)),
    ("function", "functools", "cache", (3, 9)), ("function", "statistics", "fmean", (3, 8)),
    ("function", "os", "memfd_create", (3, 8)), ("function", "os", "copy_file_range", (3, 8)),
    ("function", "os", "waitstatus_to_exitcode", (3, 9)), ("function", "random", "randbytes", (3, 9)),
    ("function", "itertools", "pairwise", (3, 10)), ("function", "hashlib", "file_digest", (3, 11)),
    ("function", "typing", "Literal", (3, 8)), ("function", "typing", "Final", (3, 8)),
    ("function", "typing", "Protocol", (3, 8)), ("function", "typing", "TypedDict", (3, 8)),
    ("method", "", "isascii", (3, 7)), ("method", "", "fromisoformat", (3, 7)),
    ("method", "", "removeprefix", (3, 9)), ("method", "", "removesuffix", (3, 9)),
    ("method", "", "is_relative_to", (3, 9)), ("method", "", "with_stem", (3, 9)),
    ("method", "", "bit_count", (3, 10)), ("method", "", "hardlink_to", (3, 10)),
    ("keyword", "subprocess", "capture_output", (3, 7)), ("keyword", "subprocess", "text", (3, 7)),
]
SUBPROCESS_CALLS = ("run", "check_output", "Popen", "call", "check_call")


def newer_than(target):
    return [n for n in NEWER if n[3] > target]


def problems(source, filename, target):
    """Every reason source would not parse or run under Python target ((major, minor)), as dicts."""
    found = []
    try:
        tree = ast.parse(source, filename, feature_version=target)
    except SyntaxError as e:
        return [{"line": e.lineno or 0, "kind": "syntax", "message": e.msg}]
    rules = newer_than(target)
    imported = {}
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            for a in node.names:
                imported[(a.asname or a.name).split(".")[0]] = a.name
                for kind, mod, name, since in rules:
                    if kind == "module" and (a.name == name or a.name.startswith(name + ".")):
                        found.append({"line": line, "kind": "module", "message": "module %s is new in Python %d.%d" % (name, since[0], since[1])})
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            for kind, mod, name, since in rules:
                if kind == "module" and (base == name or base.startswith(name + ".") or any(base + "." + a.name == name for a in node.names)):
                    found.append({"line": line, "kind": "module", "message": "module %s is new in Python %d.%d" % (name, since[0], since[1])})
                if kind == "function" and base == mod and any(a.name == name for a in node.names):
                    found.append({"line": line, "kind": "function", "message": "%s.%s is new in Python %d.%d" % (mod, name, since[0], since[1])})
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            for kind, mod, name, since in rules:
                if node.attr != name:
                    continue
                if kind == "function" and owner is not None and imported.get(owner, owner) == mod:
                    found.append({"line": line, "kind": "function", "message": "%s.%s is new in Python %d.%d" % (mod, name, since[0], since[1])})
                elif kind == "method" and (owner is None or owner not in imported):
                    found.append({"line": line, "kind": "method", "message": ".%s() is new in Python %d.%d" % (name, since[0], since[1])})
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SUBPROCESS_CALLS:
            for k in node.keywords:
                for kind, mod, name, since in rules:
                    if kind == "keyword" and k.arg == name:
                        found.append({"line": line, "kind": "keyword", "message": "subprocess keyword %s= is new in Python %d.%d" % (name, since[0], since[1])})
    return sorted(found, key=lambda p: p["line"])


def parse_version(text):
    parts = [int(x) for x in text.split(".")]
    return (parts + [0, 0, 0])[:3]


def check_main():
    target = parse_version(sys.argv[1])
    source = sys.stdin.read()
    print(json.dumps(problems(source, sys.argv[2] if len(sys.argv) > 2 else "<script>", tuple(target[:2]))))


class _HideNewerModules(importlib.abc.MetaPathFinder):
    def __init__(self, names):
        self.names = names

    def find_spec(self, fullname, path=None, target=None):
        for name in self.names:
            if fullname == name or fullname.startswith(name + "."):
                raise ModuleNotFoundError("No module named '%s'" % fullname, name=fullname)
        return None


def _emulate(version):
    major, minor, micro = version
    target = (major, minor)
    class VersionInfo(tuple):
        major = property(lambda s: s[0])
        minor = property(lambda s: s[1])
        micro = property(lambda s: s[2])
        releaselevel = property(lambda s: s[3])
        serial = property(lambda s: s[4])
    sys.version_info = VersionInfo((major, minor, micro, "final", 0))
    sys.version = "%d.%d.%d (default) \n[GCC]" % (major, minor, micro)
    sys.hexversion = (major << 24) | (minor << 16) | (micro << 8) | 0xF0
    rules = newer_than(target)
    for kind, mod, name, since in rules:
        if kind == "function":
            try:
                delattr(__import__(mod), name)
            except (ImportError, AttributeError):
                pass
    sys.meta_path.insert(0, _HideNewerModules([n[2] for n in rules if n[0] == "module"]))


def _refuse(filename, problem):
    sys.stderr.write('  File "%s", line %d\nSyntaxError: %s\n' % (filename, problem["line"], problem["message"]))
    sys.exit(1)


def launch_main(version_text):
    version = parse_version(version_text)
    args = sys.argv[1:]
    while args and args[0] in ("-u", "-B", "-E", "-s", "-S", "-I", "-O", "-OO", "-b", "-q"):
        args.pop(0)
    if args and args[0] in ("-V", "--version"):
        print("Python %d.%d.%d" % tuple(version))
        return
    if args and args[0] == "-c":
        if len(args) < 2:
            sys.stderr.write("Argument expected for the -c option\n")
            sys.exit(2)
        filename, source, argv = "<string>", args[1], ["-c"] + args[2:]
    elif args and args[0] != "-":
        filename, argv = args[0], args
        try:
            with open(filename, "rb") as f:
                source = f.read().decode("utf-8")
        except OSError as e:
            sys.stderr.write("python: can't open file '%s': [Errno %d] %s\n" % (filename, e.errno, e.strerror))
            sys.exit(2)
    elif sys.stdin.isatty():
        os.execv(sys.executable, [sys.executable] + sys.argv[1:])
    else:
        filename, source, argv = "<stdin>", sys.stdin.read(), ["-"] + args[1:]
    syntax = [p for p in problems(source, filename, tuple(version[:2])) if p["kind"] == "syntax"]
    if syntax:
        _refuse(filename, syntax[0])
    _emulate(version)
    sys.argv = argv
    code = compile(source, filename, "exec")
    scope = {"__name__": "__main__", "__file__": filename, "__builtins__": __builtins__}
    if filename != "<string>" and filename != "<stdin>":
        sys.path[0] = os.path.dirname(os.path.abspath(filename))
    exec(code, scope)
`;
