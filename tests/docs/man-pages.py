#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The built man pages: each renders with man(1) without warnings, the D-Bus page describes
every member of the shipped interface XML and every error name of src/shared/sysops-names.h,
sysops.json(5) every key the configuration parsers accept (as tests/config-keys prints them
from the parsers' tables), and each program's page describes every option its --help lists.
TAP on stdout. Usage: man-pages.py SRCDIR BUILDDIR PAGE..."""
import itertools
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

SRCDIR, BUILDDIR, PAGES = sys.argv[1], sys.argv[2], sys.argv[3:]
# the interface's members are described in these sections of its page
INTERFACE_SECTIONS = {
    "io.harperdb.SystemOperations1": ("METHODS", "PROPERTIES", "SIGNALS"),
    "io.harperdb.SystemOperations1.Job": ("JOB OBJECTS",),
}
PROGRAMS = {  # program (in the build tree) -> its page
    "src/harper-ops": "harper-ops.1",
    "src/harper-sysopsd": "harper-sysopsd.8",
    "src/harper-ops-http": "harper-ops-http.8",
}

# where the keys config-keys prints are described: file -> (page, section)
KEY_SECTIONS = {
    "sysops.json": ("sysops.json.5", "KEYS"),
    "harperdb-config.yaml": ("sysops.json.5", "FINDING HARPER"),
}

n = failed = 0


def ok(passed, description, diagnostic=""):
    global n, failed
    n += 1
    failed += not passed
    print(("ok" if passed else "not ok") + f" {n} - {description}")
    if not passed and diagnostic:
        print("\n".join("#   " + line for line in diagnostic.splitlines()))


def render(path):
    """man's plain-text rendering of a built page, and its warnings."""
    env = dict(os.environ, MANWIDTH="200", LC_ALL="C.UTF-8")
    r = subprocess.run(["man", "--warnings", "-E", "ascii", "-l", path],
                       capture_output=True, text=True, env=env)
    return r.returncode, r.stdout, r.stderr


def sections(text):
    """{heading: [term lines]}: the lines that start a described item (indented once)."""
    out, heading = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            heading = line.strip()
            out[heading] = []
        elif heading and re.match(r"^ {7}\S", line):
            out[heading].append(line.strip())
    return out


def term_paths(text, heading):
    """The described items of a section as dotted paths: a term line (one whose next line is
    indented further by 4) nested under the terms above it; "a, b" is two terms."""
    lines, inside = [], False
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            inside = line.strip() == heading
        elif inside and line.strip():
            lines.append(line)
    paths, stack = set(), []  # stack: (indent, [names])
    for line, following in zip(lines, lines[1:] + [""]):
        indent = len(line) - len(line.lstrip())
        if len(following) - len(following.lstrip()) != indent + 4:
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, [t.split()[0] for t in line.strip().split(", ") if t.strip()]))
        paths.update(".".join(p) for p in itertools.product(*(names for _, names in stack)))
    return paths


def described(name, terms):
    """Is name the subject of one of the term lines: "Name(", "Name s, const", "-x, --opt=ARG"?"""
    return any(re.match(rf"^(-\w, )?{re.escape(name)}([ (=,]|$)", t) for t in terms)


print("TAP version 13")
rendered, texts = {}, {}
for path in PAGES:
    page = os.path.basename(path)
    rc, text, warnings = render(path)
    rendered[page], texts[page] = sections(text), text
    headings = re.findall(r"^[A-Z][A-Z ]+$", text, re.M)
    ok(len(headings) == len(set(headings)), f"{page} has each section once",
       " ".join(h for h in set(headings) if headings.count(h) > 1))
    ok(rc == 0 and not warnings.strip() and "NAME" in rendered[page],
       f"man -l renders {page} without warnings", warnings)
    # man -l finds the tables itself; lintian (Debian 13) and man-db read the first line, which
    # scdoc does not write
    with open(path, encoding="utf-8") as f:
        roff = f.read()
    ok("\n.TS" not in roff or roff.startswith("'\\\" t"), f"{page}: any table is declared for tbl",
       "a table without '\\\" t on the first line")

page = rendered.get("io.harperdb.SystemOperations1.5", {})
for xml in sorted(f for f in os.listdir(os.path.join(SRCDIR, "dbus")) if f.endswith(".xml")):
    for interface in ET.parse(os.path.join(SRCDIR, "dbus", xml)).getroot().iter("interface"):
        iname = interface.get("name")
        wanted = INTERFACE_SECTIONS.get(iname)
        ok(wanted is not None, f"{xml}: the page has a section for {iname}")
        terms = [t for s in wanted or () for t in page.get(s, [])]
        for member in interface:
            if member.tag in ("method", "property", "signal"):
                name = member.get("name")
                ok(described(name, terms), f"{iname}: {member.tag} {name} is described",
                   f"not a term line in the sections {wanted}")

names_h = open(os.path.join(SRCDIR, "src/shared/sysops-names.h")).read()
errors = re.findall(r'^#define SYSOPS_ERROR_\w+\s+"([\w.]+)"', names_h, re.M)
ok(len(errors) > 3, "sysops-names.h defines error names")
for error in errors:
    ok(described(error, page.get("ERRORS", [])), f"io.harperdb.SystemOperations1.5 describes {error}",
       "not a term line in ERRORS")

keys = subprocess.run([os.path.join(BUILDDIR, "tests/config-keys")], capture_output=True, text=True,
                      check=True).stdout.splitlines()
ok(len(keys) > 10, "config-keys lists the keys of the parsers' tables")
for file, key in (line.split(" ", 1) for line in keys):
    man_page, section = KEY_SECTIONS[file]
    # an entry of an object keyed by name ("*") or of a list ("[]") is described by its keys
    path = ".".join(c.removesuffix("[]") for c in key.split(".") if c != "*")
    ok(path in term_paths(texts.get(man_page, ""), section), f"{man_page} describes {file} key {key}",
       f"no term {path} (nested by dots) in {section}")

for program, man_page in PROGRAMS.items():
    help_text = subprocess.run([os.path.join(BUILDDIR, program), "--help"], capture_output=True,
                               text=True).stdout
    options = sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", help_text)))
    ok(len(options) > 2, f"{program} --help lists options")
    ok(f"{man_page.rsplit('.', 1)[0]}({man_page.rsplit('.', 1)[1]})" in help_text,
       f"{program} --help names its man page {man_page}")
    terms = rendered.get(man_page, {}).get("OPTIONS", [])
    for option in options:
        ok(described(option, terms), f"{man_page} describes {option}",
           "not a term line in OPTIONS")

print(f"1..{n}")
sys.exit(1 if failed else 0)
