"""``publisher reading check FILE``: the reading of every sentence in a file, and its findings."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("reading", help="Read-aloud text for loudspeaker stations.")
def reading_group() -> None:
    pass


@reading_group.command("check")
@click.argument(
    "path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def reading_check(path: Path) -> None:
    """Print each sentence of FILE, its reading and the checks' findings.

    FILE is UTF-8 text, read sentence by sentence; a line "SOURCE<TAB>EXPECTED" (the
    reading corpus's format) is one sentence whose reading must equal EXPECTED. Lines
    starting with "#" are comments. Exits 1 when any finding or difference is found.
    """
    from channels.loudspeaker.lints import split_sentences
    from publisher.loudspeaker.reading import abbreviations, reading_findings, spell_out_text

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{path} is not UTF-8 text: {exc}") from exc
    sentences: list[tuple[str, str | None]] = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if "\t" in line:
            source, expected = line.split("\t", 1)
            sentences.append((source.strip(), expected.strip()))
        else:
            sentences += [(s, None) for s in split_sentences(line, abbreviations())]
    problems = differences = 0
    for number, (source, expected) in enumerate(sentences, 1):
        reading = spell_out_text(source)
        click.echo(f"{number}. {source}")
        click.echo(f"   → {reading}")
        if expected is not None and reading != expected:
            differences += 1
            click.echo(f"   ≠ expected: {expected}")
        for finding in reading_findings(reading, source):
            problems += 1
            click.echo(f"   ! [{finding.code}] {finding.start}-{finding.end}: {finding.message}")
    click.echo(
        f"{len(sentences)} sentences, {problems} findings, "
        f"{differences} readings differ from the expected"
    )
    if problems or differences:
        raise SystemExit(1)
