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
            "XML document failed to validate against schema: ",
            "failed to parse configuration file ")


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


def help_options(program):
    r = subprocess.run([program, "--help"], capture_output=True, text=True,
                       env=dict(os.environ, LC_ALL="C", LANGUAGE=""))
    assert r.returncode == 0, r.stderr
    opts = set(re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z-]*)", r.stdout, re.M))
    assert opts, r.stdout
    return opts - {"--help-all"}


def read(*parts):
    with open(os.path.join(TOP, *parts), encoding="utf-8") as fh:
        return fh.read()


def test_man_pages_and_daemon_doc_cover_every_option():
    daemon = os.environ.get("ND_VIRTMDEVD")
    mdevsim = os.environ.get("ND_MDEVSIM")
    if not daemon or not mdevsim:
        import pytest
        pytest.skip("daemon not built")
    man8 = read("docs", "man", "virtmdevd.8.rst")
    guide = read("docs", "daemon.md")
    for opt in help_options(daemon):
        assert f"**{opt}**" in man8, f"virtmdevd(8) lacks {opt}"
        assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", guide), \
            f"daemon.md lacks {opt}"
    man1 = read("docs", "man", "mdevsim.1.rst")
    for opt in help_options(mdevsim):
        assert f"**{opt}**" in man1, f"mdevsim(1) lacks {opt}"


def test_every_config_key_is_documented():
    # the keys the sample config lists are the keys the daemon accepts
    # (tests/install loads them all); each needs a word in both docs
    conf = read("src", "remote", "virtmdevd.conf.in")
    keys = re.findall(r"^#([a-z_]+) = ", conf, re.M)
    assert len(keys) >= 17, keys
    src = read("src", "remote", "virtmdevd_config.c")
    assert sorted(keys) == sorted(re.findall(r'^\s+\{ "([a-z_]+)", KEY_', src, re.M))
    man8 = read("docs", "man", "virtmdevd.8.rst")
    guide = read("docs", "daemon.md")
    for key in keys:
        assert f"**{key}**" in man8, f"virtmdevd(8) lacks {key}"
        assert key in guide, f"daemon.md lacks {key}"
