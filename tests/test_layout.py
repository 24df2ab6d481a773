"""The shape of the code: no import cycle under curate/, and Prefect stays in flows/."""
import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, name: str, modules: set[str], *, lazy: bool) -> set[str]:
    """The curate modules `name` imports. lazy=False: what importing it runs, module-level statements only (a
    function's import runs later), without `if TYPE_CHECKING:` blocks, and with the packages a.b of a.b.c (Python
    runs their __init__ first). lazy=True: every import, in functions too, each to the module it names: the
    dependencies, whenever they load."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()

    def absolute(node: ast.ImportFrom) -> str:
        base = node.module or ""
        if node.level:
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(parts + ([base] if base else []))
        return base

    def add(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node)
            for a in node.names:
                found.add(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base)

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            add(node)
            if isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.dump(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    def walk(node: ast.AST) -> None:  # every statement, in functions too; type-only imports are not dependencies
        for child in ast.iter_child_nodes(node):
            if not (isinstance(child, ast.If) and "TYPE_CHECKING" in ast.dump(child.test)):
                add(child)
                walk(child)

    if lazy:
        walk(tree)
    else:
        visit(tree.body)
        found = {".".join(m.split(".")[:i]) for m in found for i in range(1, len(m.split(".")) + 1)}
    return {m for m in found if m in modules and m != name}


def import_graph(lazy: bool) -> dict[str, set[str]]:
    files = {module_name(p): p for p in sorted((REPO / "curate").rglob("*.py"))}
    return {name: imports(path, name, set(files), lazy=lazy) for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_import_cycle_under_curate():
    """Neither when importing (which would fail, or need an 'import this first' line) nor between the modules'
    dependencies at all (a function-level import that closes a loop is a cycle waiting for a refactor)."""
    for lazy in (False, True):
        graph = import_graph(lazy)
        assert "curate.stages.pii.config" in graph["curate.config"]  # the walk found the modules and their imports
        assert cycles(graph) == [], "lazy imports" if lazy else "module-level imports"


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_library_imports_no_prefect():
    for path in sorted((REPO / "curate").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "import prefect" not in text and "from prefect" not in text, path


def test_only_the_stage_list_and_the_cli_know_a_stage_by_name():
    """Code elsewhere asks a stage's attributes, or imports the NAME constant beside the stage's config: nothing
    compares with a stage name, looks a stage up by a literal name or builds a metric name from one."""
    from curate.stages.order import STAGES

    names = {s.name for s in STAGES}
    allowed = {REPO / "curate" / "stages" / "order.py", REPO / "curate" / "cli.py"}
    found = []
    for path in sorted((REPO / "curate").rglob("*.py")):
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            literals = []
            if isinstance(node, ast.Compare):  # x == "validate", name in ("ingest", ...)
                literals = [c for part in [node.left, *node.comparators] for c in ast.walk(part)]
            elif isinstance(node, ast.Call) and "stage" in ast.unparse(node.func).lower():  # _stage(stages, "pii")
                literals = [c for a in node.args for c in ast.walk(a)]
            elif isinstance(node, ast.JoinedStr):  # f"smoke.{metric}"
                literals = node.values
            for c in literals:
                if isinstance(c, ast.Constant) and isinstance(c.value, str) and (
                        c.value in names or c.value.endswith(".") and c.value[:-1] in names):
                    found.append(f"{path.relative_to(REPO)}:{c.lineno} {c.value!r}")
    assert found == []


def test_readme_lists_the_stages_as_the_code_declares_them():
    from curate.stages.order import STAGES

    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("## How a record flows", 1)[1].split("\n\n")[2]  # the paragraph after the intro is the table
    listed = [line.split("`")[1] for line in table.splitlines()[2:]]
    assert listed == [s.name for s in STAGES]
