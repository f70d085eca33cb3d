"""The README and the documentation pages (``docs/en/``, and the config
folders' READMEs) name only what exists: repository files and configs,
pages and their heading anchors, and the command-line flags of the tools
their ``bash`` blocks run. Docs that rot fail here, not in a user's shell."""
import functools
import glob
import itertools
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / 'README.md'] + sorted(
    Path(p) for p in itertools.chain(
        glob.glob(str(REPO / 'docs/en/**/*.md'), recursive=True),
        glob.glob(str(REPO / 'configs/*/README.md')))
    if '_build' not in p and '/generated/' not in p)
DOC_IDS = [str(p.relative_to(REPO)) for p in DOCS]

FENCE = re.compile(r'^(```+|~~~+)(.*)$')
LINK = re.compile(r'\]\(([^)\s]+)\)')
HEADING = re.compile(r'^(#{1,6})\s+(.*?)\s*#*\s*$')
# a repository path: starts at a top-level folder, not inside another path
REPO_PATH = re.compile(
    r'(?<![\w./~$-])((?:configs|tools|mmsde|docs|tests|requirements)/'
    r'[\w./*{},-]*)')
CONFIG_SCOPE = re.compile(r'mmsde::([\w./-]+\.py)')
TOOL_CALL = re.compile(r'(?:^|\s)(?:\S*/)?python3?\s+(tools/\S+\.py)(.*)$')
GITHUB_SLUG_DROP = re.compile(r'[^\w\u4e00-\u9fff\- ]')


def read(path: Path) -> str:
    return path.read_text(encoding='utf-8')


def shown(path: Path) -> str:
    """A path as messages name it: from the repository root when inside."""
    return str(path.relative_to(REPO) if path.is_relative_to(REPO) else path)


def split_fences(text: str) -> Tuple[str, List[Tuple[str, str]]]:
    """The prose of a Markdown text (fenced blocks blanked) and its fenced
    blocks as ``(info string, body)``."""
    prose, blocks, fence, info, body = [], [], None, '', []
    for line in text.split('\n'):
        match = FENCE.match(line.strip())
        if fence is None and match:
            fence, info, body = match.group(1), match.group(2).strip(), []
            prose.append('')
        elif fence is not None and line.strip().startswith(fence) and \
                not line.strip()[len(fence):].strip():
            blocks.append((info, '\n'.join(body)))
            fence = None
            prose.append('')
        elif fence is not None:
            body.append(line)
            prose.append('')
        else:
            prose.append(line)
    return '\n'.join(prose), blocks


def heading_text(markdown: str) -> str:
    """A heading as rendered: link text kept, code and emphasis marks gone."""
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', markdown)
    return re.sub(r'[`*]|(?<!\w)_|_(?!\w)', '', text)


def github_slug(title: str) -> str:
    """GitHub's heading anchor, which MyST's ``myst_heading_anchors``
    reproduces (``myst_parser.slugs.github_slugify``)."""
    return GITHUB_SLUG_DROP.sub('', title.lower().replace(' ', '-'))


def heading_anchors(text: str) -> List[str]:
    """Anchors of every heading, duplicates suffixed ``-1``, ``-2``, ..."""
    prose, _ = split_fences(text)
    anchors: List[str] = []
    for line in prose.split('\n'):
        match = HEADING.match(line)
        if match:
            slug = github_slug(heading_text(match.group(2)))
            unique, i = slug, 1
            while unique in anchors:
                unique, i = f'{slug}-{i}', i + 1
            anchors.append(unique)
    return anchors


def link_problems(doc: Path) -> List[str]:
    """Relative links (and images) whose file, page or anchor is missing."""
    prose, _ = split_fences(read(doc))
    problems = []
    for target in LINK.findall(prose):
        if re.match(r'[a-z]+:', target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition('#')
        dest = (doc.parent / path).resolve() if path else doc
        if not dest.exists():
            problems.append(f'{target}: no file {shown(dest)}')
        elif anchor and dest.suffix == '.md' and \
                anchor not in heading_anchors(read(dest)):
            problems.append(f'{target}: no heading with anchor #{anchor} '
                            f'in {shown(dest)}')
    return problems


def expand(pattern: str) -> List[str]:
    """``a{b,c}d`` as ``[abd, acd]`` (shell brace expansion, one level)."""
    match = re.search(r'\{([^{}]*)\}', pattern)
    if not match:
        return [pattern]
    return [p for alt in match.group(1).split(',') for p in expand(
        pattern[:match.start()] + alt + pattern[match.end():])]


def named_paths(text: str) -> Iterator[str]:
    """Repository paths and ``mmsde::`` configs a text names anywhere."""
    for path in REPO_PATH.findall(text):
        path = path.rstrip('.,:;')
        if '...' not in path:
            yield path
    for config in CONFIG_SCOPE.findall(text):
        yield f'configs/{config}'


def is_build_output(path: str) -> bool:
    """Whether git ignores ``path`` (as a file, or as a folder named
    without its slash): a build output (``docs/_build/html/``,
    ``mmsde/.mim``) that a fresh clone does not have until a command
    writes it."""
    return any(subprocess.run(
        ['git', 'check-ignore', '-q', '--no-index', name], cwd=REPO,
        check=False).returncode == 0
        for name in (path, path.rstrip('/') + '/'))


def path_problems(doc: Path) -> List[str]:
    problems = []
    for named in sorted(set(named_paths(read(doc)))):
        if not any(glob.glob(str(REPO / p)) for p in expand(named)) and \
                not is_build_output(named):
            problems.append(f'{named}: nothing at that path')
    return problems


def tool_calls(doc: Path) -> Iterator[Tuple[str, List[str]]]:
    """``(tool, arguments)`` of every ``python tools/...`` line of the
    ``bash`` blocks, continuation lines joined, comments dropped."""
    _, blocks = split_fences(read(doc))
    for info, body in blocks:
        if info.split()[:1] != ['bash']:
            continue
        for line in body.replace('\\\n', ' ').split('\n'):
            match = TOOL_CALL.search(line.split(' #')[0])
            if match:
                try:
                    args = shlex.split(match.group(2))
                except ValueError:
                    args = match.group(2).split()
                yield match.group(1), [a.strip('[]') for a in args]


@functools.lru_cache(maxsize=None)
def tool_help(tool: str, subcommand: Optional[str] = None) -> str:
    """The ``--help`` text of a tool (or of one of its subcommands), once
    per test session."""
    command = [sys.executable, tool] + ([subcommand] if subcommand else [])
    result = subprocess.run(command + ['--help'], cwd=REPO, text=True,
                            capture_output=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f'{" ".join(command)} --help failed:\n'
                             f'{result.stderr[-2000:]}')
    return result.stdout


def subcommands(help_text: str) -> List[str]:
    """The subcommands an argparse usage line lists as ``{run,summarize}``."""
    match = re.search(r'^usage:[^{]*\{([\w,-]+)\}', help_text, re.M)
    return match.group(1).split(',') if match else []


def flag_problems(doc: Path) -> List[str]:
    problems = []
    for tool, args in tool_calls(doc):
        if not (REPO / tool).exists():
            problems.append(f'{tool}: no such tool')
            continue
        help_text = tool_help(tool)
        positional = [a for a in args if not a.startswith('-')]
        sub = positional[0] if positional and \
            positional[0] in subcommands(help_text) else None
        if sub:
            help_text = tool_help(tool, sub)
        known = set(re.findall(r'(?<![\w-])--[\w-]+', help_text))
        for flag in (a.split('=')[0] for a in args if a.startswith('--')):
            if flag not in known:
                problems.append(f'{tool}{" " + sub if sub else ""}: '
                                f'{flag} is not in its --help')
    return problems


@pytest.mark.parametrize('doc', DOCS, ids=DOC_IDS)
def test_links_and_anchors_resolve(doc):
    assert link_problems(doc) == []


@pytest.mark.parametrize('doc', DOCS, ids=DOC_IDS)
def test_named_files_and_configs_exist(doc):
    assert path_problems(doc) == []


@pytest.fixture(scope='module')
def every_help() -> None:
    """Every ``--help`` the docs' tool calls need, fetched side by side
    (each starts a Python that imports torch: seconds apiece)."""
    calls = [(tool, args) for doc in DOCS for tool, args in tool_calls(doc)
             if (REPO / tool).exists()]
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(tool_help, sorted({tool for tool, _ in calls})))
        subs = {(tool, a) for tool, args in calls for a in args
                if a in subcommands(tool_help(tool))}
        list(pool.map(lambda pair: tool_help(*pair), sorted(subs)))


@pytest.mark.slow
@pytest.mark.parametrize('doc', DOCS, ids=DOC_IDS)
def test_shown_flags_are_in_the_tools_help(doc, every_help):
    assert flag_problems(doc) == []


def test_slugs_follow_github():
    text = ('# Install from a wheel: `mmsde::` configs and `mim`\n'
            '## SupCon: the collapse and its fix\n## A, b\n## A, b\n'
            '```bash\n# not a heading\n```\n')
    assert heading_anchors(text) == [
        'install-from-a-wheel-mmsde-configs-and-mim',
        'supcon-the-collapse-and-its-fix', 'a-b', 'a-b-1']


def test_a_broken_link_an_unknown_path_and_flag_are_caught(tmp_path):
    doc = tmp_path / 'page.md'
    doc.write_text('# Page\n[ok](#page) [gone](#nowhere) [lost](lost.md)\n'
                   '`configs/no_such_folder/x.py` and `tools/train.py`\n'
                   'built into `docs/_build/nowhere/` and `mmsde/.mim`\n')
    assert link_problems(doc) == [
        f'#nowhere: no heading with anchor #nowhere in {doc}',
        f'lost.md: no file {tmp_path / "lost.md"}']
    assert path_problems(doc) == [
        'configs/no_such_folder/x.py: nothing at that path']
    assert list(named_paths('`docs/findings/table{.md,.csv}`')) == [
        'docs/findings/table{.md,.csv}']
    assert expand('t{.md,.csv}') == ['t.md', 't.csv']
