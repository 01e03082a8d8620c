"""The Results page: generated from benchmarks/results/*.md, grouped by chapter, up to date."""

from __future__ import annotations

from pathlib import Path

from tools import results as R

ROOT = Path(__file__).resolve().parents[1]


def test_results_page_is_up_to_date() -> None:
    assert not R.write_page(ROOT, check=True), (
        "run `make results-page` and commit chapters/appendix/results.md"
    )


def test_chapter_of_uses_the_longest_prefix() -> None:
    assert R.chapter_of("gan_mode_collapse") == "GANs"
    assert R.chapter_of("gan_beyond_discrete") == "GANs beyond images"
    assert R.chapter_of("rnn_gan_table") == "Recurrent GANs"
    assert R.chapter_of("ganymede") == R.OTHER


def test_render_page_groups_files_keeps_tables_and_dates(tmp_path: Path) -> None:
    res = tmp_path / "benchmarks" / "results"
    res.mkdir(parents=True)
    (res / "vae_collapse.md").write_text(
        "# Posterior collapse\n\n- date: 2026-11-23 11:02 UTC\n- command: `python x.py`\n\n"
        "## Grid\n\n| beta | KL |\n|---|---|\n| 1 | 3.2 |\n\nSee [the CSV](vae_collapse.csv).\n"
    )
    (res / "gan_mode_collapse.md").write_text("# Modes\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    page = R.render_page(tmp_path)
    assert page.index("## GANs") < page.index("## Variational autoencoders")
    assert "### Posterior collapse" in page and "run on 2026-11-23 11:02 UTC" in page
    assert "the file records no date" in page
    assert "| 1 | 3.2 |" in page and "**Grid**" in page and "\n## Grid" not in page
    assert "the CSV (`vae_collapse.csv`)" in page
    assert R.render_page(tmp_path / "empty").count("No benchmark results are committed yet") == 1


def test_a_table_under_a_list_is_separated_from_it(tmp_path: Path) -> None:
    res = tmp_path / "benchmarks" / "results"
    res.mkdir(parents=True)
    (res / "gan_x.md").write_text("# X\n\n- a note\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "- a note\n\n| a | b |\n|---|---|\n| 1 | 2 |" in R.render_page(tmp_path)


def test_headings_are_distinct_words_not_file_names() -> None:
    files = [
        Path(f"{s}.md") for s in ("rec_loso", "rec_loso_cnn", "rec_loso_gru", "wavenet_digits", "codec_rd")
    ]
    titles = ["LOSO", "LOSO", "LOSO", "wavenet_digits", ""]
    assert R.headings(files, titles) == ["LOSO", "LOSO (cnn)", "LOSO (gru)", "Wavenet digits", "Codec rd"]


def test_the_committed_page_has_no_repeated_heading() -> None:
    names = [
        line for line in (ROOT / R.PAGE).read_text(encoding="utf-8").splitlines() if line.startswith("#")
    ]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
