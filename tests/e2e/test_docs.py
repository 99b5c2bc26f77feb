"""The documentation agrees with the binary: the options of --help, of
the manual page (user/rsttrace.8) and of README.md's Options block are the
same, each with the same short letter and argument; the manual page is
mandoc -Tlint clean; and its OUTPUT section names every key of each record
type in user/rsttrace.schema.json."""
import json
import os
import re
import shutil
import subprocess

from harness import REPO, SCHEMA_PATH, check, eq, info, rsttrace_cmd, skip, skip_part, test

MANPAGE = os.path.join(REPO, "user", "rsttrace.8")
README = os.path.join(REPO, "README.md")

# one option in argp's layout: "  -p, --pid=PID,...   text" or
# "      --summary[=SECONDS]   text"; continuation lines are indented further
HELP_OPT_RE = re.compile(r"^  (?:-(?P<short>[^\s-]), |    )--(?P<long>[A-Za-z0-9][A-Za-z0-9-]*)"
                         r"(?:(?P<opt>\[=[^\]\s]+\])|=(?P<arg>\S+))?(?:\s|$)")
# a tag of the manual's OPTIONS list, as mandoc renders it: "-p, --pid=PID,..."
MAN_TAG_RE = re.compile(r"^(?:-(?P<short>[^\s-]), )?--(?P<long>[A-Za-z0-9][A-Za-z0-9-]*)"
                        r"(?:(?P<opt>\[=[^\]\s]+\])|=(?P<arg>\S+))?$")


def option_of(m):
    """(long name, "-x, --long=ARG" as --help spells it) of a match."""
    spelled = ("-%s, " % m.group("short") if m.group("short") else "") + "--" + m.group("long")
    if m.group("opt"):
        spelled += m.group("opt")
    elif m.group("arg"):
        spelled += "=" + m.group("arg")
    return m.group("long"), spelled


def help_options(text):
    """{long name: spelling} of argp-style option lines (--help's, or the
    README's copy of them)."""
    opts = {}
    for line in text.splitlines():
        m = HELP_OPT_RE.match(line)
        if m:
            name, spelled = option_of(m)
            check(name not in opts, "--%s listed twice", name)
            opts[name] = spelled
    return opts


def help_entries(text):
    """{long name: its lines} of argp-style option lines: the option's
    line and the continuation lines of its text."""
    out, cur = {}, None
    for line in text.splitlines():
        m = HELP_OPT_RE.match(line)
        if m:
            cur = m.group("long")
            out[cur] = [line.rstrip()]
        elif cur and line.startswith(" " * 8) and line.strip():
            out[cur].append(line.rstrip())
        else:
            cur = None
    return out


def rsttrace_help():
    r = subprocess.run(rsttrace_cmd("--help"), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    eq(r.returncode, 0, "rsttrace --help exit status")
    text = r.stdout.decode()
    check("OPTIONS:" in text, "no OPTIONS: in --help")
    return text.split("OPTIONS:", 1)[1]


def readme_options_block(text):
    """The ``` block under "## Options"."""
    m = re.search(r"^## Options\n(.*?)^## ", text, re.M | re.S)
    check(m, "README.md has no '## Options' section")
    b = re.search(r"^```[a-z]*\n(.*?)^```", m.group(1), re.M | re.S)
    check(b, "README.md's Options section has no ``` block")
    return b.group(1)


def render_man(path=None):
    """The manual page as plain text (mandoc -Tascii, overstrike removed),
    or None without mandoc."""
    path = path or MANPAGE
    if not shutil.which("mandoc"):
        return None
    r = subprocess.run(["mandoc", "-Tascii", "-Owidth=200", path], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    eq(r.returncode, 0, "mandoc -Tascii exit status (%s)" % r.stderr.decode().strip())
    return re.sub(r".\x08", "", r.stdout.decode())


def man_section(text, name):
    """The body of section NAME of a rendered page (headings are the
    lines that start in column 0)."""
    m = re.search(r"^%s\n(.*?)(?=^\S)" % re.escape(name), text + "\nEND\n", re.M | re.S)
    check(m, "manual page has no %s section", name)
    return m.group(1)


def man_options(text):
    """{long name: spelling} of the tags of the OPTIONS list: the lines
    indented like the section's text that start with a dash."""
    opts = {}
    for line in man_section(text, "OPTIONS").splitlines():
        m = re.match(r"^ {5}(-\S.*?)(?: {2,}.*)?$", line)
        if not m:
            continue
        t = MAN_TAG_RE.match(m.group(1))
        check(t, "manual page OPTIONS: tag not understood: %r", m.group(1))
        name, spelled = option_of(t)
        check(name not in opts, "manual page lists --%s twice", name)
        opts[name] = spelled
    return opts


def compare_options(sources):
    """Differences between {where: {long name: spelling}}, against the
    first source, by option name and where it is missing or differs."""
    (ref_where, ref), = list(sources.items())[:1]
    problems = []
    names = sorted(set().union(*[set(o) for o in sources.values()]))
    for name in names:
        for where, opts in sources.items():
            if name not in opts:
                have = [w for w in sources if name in sources[w]]
                problems.append("--%s: missing from %s (in %s)"
                                % (name, where, ", ".join(have)))
            elif name in ref and opts[name] != ref[name] and where != ref_where:
                problems.append("--%s: %s has %r, %s has %r"
                                % (name, ref_where, ref[name], where, opts[name]))
    return problems


@test("docs_options")
def docs_options(stack):
    """Every option of --help is in the manual page's OPTIONS and in the
    README's Options block, with the same short letter and argument, and
    neither documents one --help lacks."""
    help_text = rsttrace_help()
    sources = {"--help": help_options(help_text)}
    with open(README) as f:
        readme_block = readme_options_block(f.read())
    sources["README.md Options"] = help_options(readme_block)
    text = render_man()
    if text is None:
        skip_part("mandoc is not installed: manual page not compared")
    else:
        sources["rsttrace.8 OPTIONS"] = man_options(text)
    check(len(sources["--help"]) >= 20, "only %d options found in --help: %r",
          len(sources["--help"]), sources["--help"])
    problems = compare_options(sources)
    # the README's block is a copy of --help's lines, option by option
    readme_text = help_entries(readme_block)
    for name, lines in sorted(help_entries(help_text).items()):
        if name in readme_text and readme_text[name] != lines:
            problems.append("--%s: README.md Options has %r, --help %r"
                            % (name, readme_text[name], lines))
    for p in problems:
        info(p)
    check(not problems, "%d difference(s) between --help, the manual page and "
          "README.md (listed above), first: %s", len(problems), problems[:1])
    info("%d options agree" % len(sources["--help"]))


# what mandoc -Tlint says about this machine rather than the page: a
# manual that SEE ALSO references is not installed here, or the database
# of installed manuals is out of date
LINT_ENVIRONMENT_RE = re.compile(r"referenced manual not found|outdated mandoc\.db")


@test("docs_manlint")
def docs_manlint(stack):
    """mandoc -Tlint prints nothing and exits 0 (lines about manuals this
    machine lacks are reported, not counted)."""
    if not shutil.which("mandoc"):
        skip("mandoc is not installed")
    r = subprocess.run(["mandoc", "-Tlint", MANPAGE], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    lines = r.stdout.decode().splitlines()
    env = [l for l in lines if LINT_ENVIRONMENT_RE.search(l)]
    for l in env:
        info("not counted (this machine's manuals): " + l)
    bad = [l for l in lines if l not in env]
    check(not bad, "mandoc -Tlint: %s", "; ".join(bad))
    if not env:
        eq(r.returncode, 0, "mandoc -Tlint exit status")
    if shutil.which("man"):
        r = subprocess.run(["man", "--warnings", "-l", MANPAGE], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30,
                           env=dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="80"))
        eq(r.returncode, 0, "man --warnings -l exit status")
        warn = r.stderr.decode().strip()
        check(not warn, "man --warnings -l: %s", warn)


def tags(block):
    """The keys named by the list tags of a rendered block: "key", or
    "key1, key2" at the block's indentation, text following after two
    spaces."""
    out = set()
    for line in block.splitlines():
        m = re.match(r"^ {5}(\S.*?)(?: {2,}.*)?$", line)
        if m:
            out.update(k.strip() for k in m.group(1).split(","))
    return out


@test("docs_man_keys")
def docs_man_keys(stack):
    """The manual page's OUTPUT section has a list entry for every key of
    the reset, lost and summary records in the schema, and names the keys
    of a summary row."""
    text = render_man()
    if text is None:
        skip("mandoc is not installed")
    with open(SCHEMA_PATH) as f:
        defs = json.load(f)["$defs"]
    out = man_section(text, "OUTPUT")
    starts = {t: out.find('A "%s" record' % t) for t in ("reset", "lost", "summary")}
    for t, i in starts.items():
        check(i >= 0, 'manual page OUTPUT: no "A \\"%s\\" record" paragraph', t)
    order = sorted(starts, key=starts.get)
    missing = []
    for n, t in enumerate(order):
        end = starts[order[n + 1]] if n + 1 < len(order) else len(out)
        block = out[starts[t]:end]
        have = tags(block)
        for key in defs[t]["properties"]:
            if key not in have:
                missing.append("%s.%s" % (t, key))
        if t == "summary":
            # the row keys, named in the text of "rows" (not counting the
            # values of --by)
            rows = re.sub(r"--by \w+", "", block[block.find("rows"):])
            for key in defs["summary_row"]["properties"]:
                if not re.search(r"\b%s\b" % re.escape(key), rows):
                    missing.append("summary.rows[].%s" % key)
    check(not missing, "keys of the schema missing from the manual page's OUTPUT: %s",
          ", ".join(missing))
    info("%d reset keys documented" % len(defs["reset"]["properties"]))
