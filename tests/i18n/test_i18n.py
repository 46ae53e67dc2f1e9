# SPDX-License-Identifier: LGPL-2.1-or-later
"""Translations: the template covers every message, every language in
po/LINGUAS translates all of it, and the daemon speaks German when asked.

The machine may have no de_DE locale installed, so the German checks use
LANGUAGE=de over the C.UTF-8 locale (gettext honours LANGUAGE for any
locale but plain "C"); LANG=de_DE.UTF-8 alone is checked with the locale
compiled by localedef into a private LOCPATH (and with the system's, where
it is installed). ND_LOCALEDIR points the daemon at the build tree's
catalogs."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

TOP = os.environ["ND_TOP_SRCDIR"]
PO = os.path.join(TOP, "po")
VIRTMDEVD = os.environ.get("ND_VIRTMDEVD", "")
LOCALEDIR = os.environ.get("ND_BUILD_LOCALEDIR", "")


def run(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def linguas():
    with open(os.path.join(PO, "LINGUAS"), encoding="utf-8") as fh:
        return [w for line in fh if not line.startswith("#")
                for w in line.split()]


def fresh_template(tmp):
    """Extract the messages from the sources as po/meson.build does."""
    pot = os.path.join(tmp, "fresh.pot")
    r = run("xgettext", "--from-code=UTF-8", "--add-comments=TRANSLATORS:",
            "--keyword=_", "--keyword=N_", "--language=C",
            "--directory", TOP, "--files-from", os.path.join(PO, "POTFILES"),
            "--output", pot)
    assert r.returncode == 0, r.stderr
    return pot


def msgids(po):
    """The msgids of a .po/.pot file, without the header."""
    r = run("msgcat", "--no-wrap", "--no-location", "--sort-output", po)
    assert r.returncode == 0, r.stderr
    ids = set()
    for m in re.finditer(r'^msgid ((?:".*"\n)+)', r.stdout + "\n", re.M):
        text = "".join(re.findall(r'"(.*)"', m.group(1)))
        if text:
            ids.add(text)
    return ids


def test_linguas_lists_every_po():
    langs = linguas()
    assert langs, "po/LINGUAS lists no language"
    on_disk = sorted(f[:-3] for f in os.listdir(PO) if f.endswith(".po"))
    assert sorted(langs) == on_disk


def test_template_has_messages_from_every_layer():
    with tempfile.TemporaryDirectory() as tmp:
        ids = msgids(fresh_template(tmp))
    # one message each from conf, node_device, rpc, remote and util
    for text in ("a DOCTYPE is not allowed in node device XML",
                 "no node device with matching name '%1$s'",
                 "read only access prevents %1$s",
                 "unknown setting '%1$s' in '%2$s'",
                 "cannot write sysfs file '%1$s'"):
        assert text in ids, f"template lacks {text!r}"
    assert len(ids) > 200


@pytest.mark.parametrize("lang", linguas())
def test_translation_is_complete(lang):
    po = os.path.join(PO, lang + ".po")
    with tempfile.TemporaryDirectory() as tmp:
        pot = fresh_template(tmp)
        merged = os.path.join(tmp, "merged.po")
        r = run("msgmerge", "--quiet", "--no-fuzzy-matching", "--output-file",
                merged, po, pot)
        assert r.returncode == 0, r.stderr
        missing = run("msgattrib", "--untranslated", "--no-obsolete",
                      "--no-wrap", merged).stdout
        fuzzy = run("msgattrib", "--only-fuzzy", "--no-obsolete",
                    "--no-wrap", merged).stdout
        assert not msgids_of_text(missing, tmp), \
            f"{lang}.po misses:\n" + "\n".join(sorted(msgids_of_text(missing, tmp)))
        assert not msgids_of_text(fuzzy, tmp), \
            f"{lang}.po has fuzzy:\n" + "\n".join(sorted(msgids_of_text(fuzzy, tmp)))
        # format strings: same conversions, positional arguments intact
        r = run("msgfmt", "--check", "--statistics", "--output-file",
                os.devnull, merged)
        assert r.returncode == 0, r.stderr
        assert "untranslated" not in r.stderr and "fuzzy" not in r.stderr, r.stderr


def msgids_of_text(text, tmp):
    if not text.strip():
        return set()
    path = os.path.join(tmp, "part.po")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return msgids(path)


def german_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LC_", "LANG"))}
    env.update({"LC_ALL": "C.UTF-8", "LANGUAGE": "de",
                "ND_LOCALEDIR": LOCALEDIR})
    env.update(extra)
    return env


needs_daemon = pytest.mark.skipif(not VIRTMDEVD or not LOCALEDIR,
                                  reason="no daemon built")


@needs_daemon
def test_catalog_built():
    mo = os.path.join(LOCALEDIR, "de", "LC_MESSAGES", "virtmdevd.mo")
    assert os.path.isfile(mo), mo


@needs_daemon
def test_german_usage_error():
    r = run(VIRTMDEVD, "bogus", env=german_env())
    assert r.returncode == 2
    assert "virtmdevd: unerwartetes Argument 'bogus'" in r.stderr, r.stderr


@needs_daemon
def test_german_help():
    r = run(VIRTMDEVD, "--help", env=german_env())
    assert r.returncode == 0
    assert "Einstellungen aus DATEI lesen" in r.stdout, r.stdout
    assert "--simulate=PROFIL" in r.stdout, r.stdout


@needs_daemon
def test_german_config_error(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[virtmdevd]\nmax_clients = 0\n")
    r = run(VIRTMDEVD, "--config", str(conf), env=german_env())
    assert r.returncode == 1
    want = (f"Einstellung 'max_clients' in '{conf}' muss eine Zahl von 1 "
            f"bis 65536 sein, nicht '0'")
    assert want in r.stderr, r.stderr
    # libvirt's error-code prefix is translated as well
    assert "nicht unterstützte Konfiguration: " in r.stderr, r.stderr


@needs_daemon
def test_english_without_language():
    env = german_env(LC_ALL="C")
    del env["LANGUAGE"]
    r = run(VIRTMDEVD, "bogus", env=env)
    assert "virtmdevd: unexpected argument 'bogus'" in r.stderr, r.stderr


@needs_daemon
def test_catalogs_come_from_nd_localedir(tmp_path):
    # an empty locale dir: no German, so the German above came from it
    r = run(VIRTMDEVD, "bogus", env=german_env(ND_LOCALEDIR=str(tmp_path)))
    assert "virtmdevd: unexpected argument 'bogus'" in r.stderr, r.stderr


def have_locale(name):
    r = run("locale", "-a")
    norm = name.lower().replace("-", "")
    return any(l.strip().lower().replace("-", "") == norm
               for l in r.stdout.splitlines())


@needs_daemon
@pytest.mark.skipif(not have_locale("de_DE.UTF-8"),
                    reason="locale de_DE.UTF-8 not installed")
def test_german_with_lang():
    env = german_env(LANG="de_DE.UTF-8")
    del env["LC_ALL"]
    del env["LANGUAGE"]
    r = run(VIRTMDEVD, "bogus", env=env)
    assert "virtmdevd: unerwartetes Argument 'bogus'" in r.stderr, r.stderr


@needs_daemon
@pytest.mark.skipif(not shutil.which("localedef")
                    or not os.path.exists("/usr/share/i18n/locales/de_DE"),
                    reason="no localedef or de_DE locale source (package locales)")
def test_german_with_lang_from_a_private_locale(tmp_path):
    # the literal check, LANG=de_DE.UTF-8 and nothing else, on a
    # machine without that locale: compile it into a private LOCPATH
    r = run("localedef", "-i", "de_DE", "-f", "UTF-8",
            str(tmp_path / "de_DE.UTF-8"))
    assert r.returncode in (0, 1), r.stderr   # 1: warnings only
    assert (tmp_path / "de_DE.UTF-8").is_dir(), r.stderr
    env = german_env(LANG="de_DE.UTF-8", LOCPATH=str(tmp_path))
    del env["LC_ALL"]
    del env["LANGUAGE"]
    r = run(VIRTMDEVD, "bogus", env=env)
    assert "virtmdevd: unerwartetes Argument 'bogus'" in r.stderr, r.stderr
    r = run(VIRTMDEVD, "--help", env=env)
    assert "Version ausgeben und beenden" in r.stdout, r.stdout
