"""The architecture of src/ as a check: layers, upward includes, cycles.

    layers.py [SRCDIR [BUILDDIR]]

Without arguments (as `make check` runs it): $top_srcdir/src and the
current directory as the build directory.

The library's folders are layers, each allowed to use only itself and the
layers below it (LAYERS, bottom first); the tool (src/cli) sits above the
whole library.  A module is a .c file with its header of the same name (and
its private NAME_internal.h, if any).
Checked, one TAP line each:
  1. every source file lies in a known folder;
  2. no file includes a header of a higher layer;
  3. no include cycle between modules (a.c or a.h includes b.h, and b's
     files include a.h, directly or through others);
  4. with BUILDDIR, no call cycle between modules: module a calls b when
     a's object file leaves a symbol undefined that b's object defines
     (nm), so a cycle through function pointers set at run time is not
     seen, but every direct call is.
"""
import os
import re
import subprocess
import sys
import tempfile

# Bottom first.  "" is src/lib itself (diffgeo.h, the umbrella header).
LAYERS = ["lib/core", "lib/mpi", "lib/data", "lib/models", "lib/dynamics",
          "lib/measure", "lib/io", "lib", "cli"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

tap = []


def ok(good, what, details=()):
    tap.append((good, what, list(details)))


def sources(src):
    """module name -> list of (path relative to src, layer or None)."""
    files = []
    for root, _, names in os.walk(src):
        for n in names:
            if n.endswith((".c", ".h")):
                rel = os.path.relpath(os.path.join(root, n), src)
                folder = os.path.dirname(rel)
                files.append((rel, folder if folder in LAYERS else None))
    return sorted(files)


def module(path):
    """a.c, a.h and a_internal.h (a's private declarations, shared by the
    files that implement a) are one module."""
    name = os.path.splitext(os.path.basename(path))[0]
    return name[:-len("_internal")] if name.endswith("_internal") else name


def find_cycle(graph):
    """One cycle of a directed graph {node: set(nodes)} as a list, or None."""
    colour, stack = {}, []

    def visit(v):
        colour[v] = 1
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if colour.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in colour:
                c = visit(w)
                if c:
                    return c
        stack.pop()
        colour[v] = 2
        return None

    for v in sorted(graph):
        if v not in colour:
            c = visit(v)
            if c:
                return c
    return None


def check_includes(src, files):
    header_layer = {os.path.basename(p): layer for p, layer in files
                    if p.endswith(".h")}
    unplaced = [p for p, layer in files if layer is None]
    ok(not unplaced, "every source file is in a layer folder", unplaced)
    upward, graph = [], {}
    for path, layer in files:
        if layer is None:
            continue
        with open(os.path.join(src, path), encoding="utf-8") as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            name = os.path.basename(inc)
            if name not in header_layer:   # config.h, test-only headers
                continue
            target = header_layer[name]
            if LAYERS.index(target) > LAYERS.index(layer):
                upward.append(f"{path} includes {inc} ({target} is above {layer})")
            if module(name) != module(path):
                graph.setdefault(module(path), set()).add(module(name))
    ok(not upward, "no file includes a header of a higher layer", upward)
    cycle = find_cycle(graph)
    ok(cycle is None, "no include cycle between modules",
       [" -> ".join(cycle)] if cycle else [])


def symbols(obj):
    out = subprocess.run(["nm", "-P", obj], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            undefined.add(name)
        elif kind in "TDBRVWGS":
            defined.add(name)
    return defined, undefined


def check_calls(src, build):
    objects = {}
    for sub in ("lib", "cli"):
        for root, _, names in os.walk(os.path.join(build, "src", sub)):
            for n in names:
                if n.endswith(".o"):
                    # libdiffgeo_la-dg_data.o, diffgeo-cmd_sample.o
                    objects.setdefault(n.split("-", 1)[-1][:-2],
                                       os.path.join(root, n))
    if not objects:
        ok(False, "no call cycle between modules",
           [f"no object files under {build}/src: build first"])
        return
    defs, uses = {}, {}
    for m, obj in objects.items():
        d, u = symbols(obj)
        uses[m] = u
        for s in d:
            defs.setdefault(s, m)
    graph = {m: {defs[s] for s in u if s in defs and defs[s] != m}
             for m, u in uses.items()}
    cycle = find_cycle(graph)
    ok(cycle is None, f"no call cycle between the {len(objects)} modules' "
       "object files", [" -> ".join(cycle)] if cycle else [])


PLANTED = {
    # core includes a header of models: upward; a.c and b.c include each
    # other's headers: an include cycle; a calls b and b calls a: a call cycle.
    "lib/core/low.c": '#include "high.h"\n',
    "lib/models/high.h": "int high(void);\n",
    "lib/models/high.c": '#include "high.h"\nint high(void) { return 1; }\n',
    "lib/data/a.h": "int a(int);\n",
    "lib/data/b.h": "int b(int);\n",
    "lib/data/a.c": '#include "a.h"\n#include "b.h"\nint a(int n) { return n ? b(n - 1) : 0; }\n',
    "lib/data/b.c": '#include "b.h"\n#include "a.h"\nint b(int n) { return n ? a(n - 1) : 1; }\n',
}


def check_planted():
    """The checks must fail on a tree that breaks each rule: run them on one."""
    global tap
    with tempfile.TemporaryDirectory() as top:
        src = os.path.join(top, "src")
        for rel, text in PLANTED.items():
            os.makedirs(os.path.join(src, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(src, rel), "w", encoding="utf-8") as f:
                f.write(text)
        cc = os.environ.get("CC", "cc").split()
        for rel in PLANTED:
            if rel.endswith(".c"):
                path = os.path.join(src, rel)
                subprocess.run(cc + ["-I", os.path.join(src, "lib/models"), "-c", path, "-o",
                                 path[:-2] + ".o"], check=True,
                               cwd=os.path.dirname(path))
        saved, tap = tap, []
        check_includes(src, sources(src))
        check_calls(src, top)
        found, tap = tap, saved
    ok(not found[1][0] and "low.c includes high.h" in " ".join(found[1][2]),
       "a planted upward include is found")
    ok(not found[2][0] and "a -> b -> a" in " ".join(found[2][2]),
       "a planted include cycle is found")
    ok(not found[3][0] and "a -> b -> a" in " ".join(found[3][2]),
       "a planted call cycle is found")


def main():
    if len(sys.argv) > 1:
        src, build = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
    else:
        src, build = os.path.join(os.environ.get("top_srcdir", "."), "src"), "."
        check_planted()
    files = sources(src)
    check_includes(src, files)
    if build:
        check_calls(src, build)
    print(f"1..{len(tap)}")
    for i, (good, what, details) in enumerate(tap, 1):
        print(f"{'ok' if good else 'not ok'} {i} - {what}")
        for d in details:
            print(f"# {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
