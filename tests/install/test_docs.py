# SPDX-License-Identifier: LGPL-2.1-or-later
"""The user docs stay true: every message docs/troubleshooting.md quotes is
one the sources really print, and every relative link in README.md and
docs/*.md points at a file that exists."""
import glob
import os
import re
import subprocess
import tempfile

TOP = os.environ["ND_TOP_SRCDIR"]

# libvirt's prefixes of the error codes, as clients print them
PREFIXES = ("unsupported configuration: ", "Requested operation is not valid: ",
            "Node device not found: ", "invalid argument: ", "operation failed: ",
            "XML error: ", "operation forbidden: ", "internal error: ",
            "XML document failed to validate against schema: ")


def messages():
    """The msgids of a template extracted now, and the sources' text (for
    log lines that are not translated)."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, "t.pot")
        subprocess.run(["xgettext", "--keyword=_", "--keyword=N_", "--language=C",
                        "--from-code=UTF-8", "--directory", TOP, "--files-from",
                        os.path.join(TOP, "po", "POTFILES"), "--output", pot],
                       check=True)
        text = subprocess.run(["msgcat", "--no-wrap", pot], capture_output=True,
                              text=True, check=True).stdout
    ids = []
    for m in re.finditer(r'^msgid "(.*)"$', text, re.M):
        ids.append(m.group(1).replace('\\"', '"').replace("\\n", "\n"))
    src = ""
    for f in glob.glob(os.path.join(TOP, "src", "**", "*.c"), recursive=True):
        with open(f, encoding="utf-8") as fh:
            src += fh.read()
    return ids, src


def test_troubleshooting_quotes_real_messages():
    with open(os.path.join(TOP, "docs", "troubleshooting.md"), encoding="utf-8") as fh:
        doc = fh.read()
    ids, src = messages()
    quoted = [q for q in re.findall(r"`([^`]+)`", doc) if re.search(r"%\d?\$?[sdux]", q)]
    assert len(quoted) > 60, len(quoted)
    bad = []
    for q in quoted:
        q = " ".join(q.split())
        for p in PREFIXES:
            if q.startswith(p):
                q = q[len(p):]
        # "... rest" quotes the end of a message named in full before
        parts = [p.strip() for p in q.split("...") if p.strip()]
        for part in parts:
            if not any(part in m for m in ids) and part not in src:
                bad.append(part)
    assert not bad, "quoted but not in the sources:\n" + "\n".join(bad)


def test_relative_links_resolve():
    files = [os.path.join(TOP, "README.md")] + glob.glob(os.path.join(TOP, "docs", "*.md"))
    bad = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = os.path.normpath(os.path.join(os.path.dirname(f), target.split("#")[0]))
            if not os.path.exists(path):
                bad.append(f"{os.path.relpath(f, TOP)}: {target}")
    assert not bad, bad


def test_docs_exist_and_are_linked_from_readme():
    with open(os.path.join(TOP, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    for doc in ("vgpu-howto.md", "troubleshooting.md", "daemon.md",
                "formatnode.md", "mdevsim.md"):
        assert os.path.isfile(os.path.join(TOP, "docs", doc)), doc
        assert f"(docs/{doc})" in readme, doc
