"""Seeds as people type them: the parser, and the CLI, job and schedule options that share it."""

from __future__ import annotations

import pytest

from ingest.crawl import Seed, parse_seeds
from warehouse import UsageError

ARTIST = "4Z8W4fKeB5YxbusRsdQVPb"
PLAYLIST = "37i9dQZF1DXcBWIGoYBM5M"


@pytest.mark.parametrize("text,expected", [
    ('genre:"dance pop"', ["genre:dance pop"]),
    ("genre:'dance pop'", ["genre:dance pop"]),
    ("genre:dance pop", ["genre:dance pop"]),
    ('"genre:dance pop"', ["genre:dance pop"]),
    ("'genre:dance pop'", ["genre:dance pop"]),
    ("genre:“dance pop”", ["genre:dance pop"]),                       # pasted typographic quotes
    ('genre:""dance pop""', ["genre:dance pop"]),                     # the reported double quoting
    ("  Genre :  Dance   Pop  ,, ", ["genre:dance pop"]),              # case, blanks, empty items
    ("genre:dance pop, genre:rock,genre:dance pop", ["genre:dance pop", "genre:rock"]),
    ('genre:"rock, paper", query:lo fi', ['genre:"rock, paper"', "query:lo fi"]),  # comma inside quotes
    ("'genre:rock, paper',genre:jazz", ['genre:"rock, paper"', "genre:jazz"]),
    ("genre:children's music, genre:k-pop", ["genre:children's music", "genre:k-pop"]),  # apostrophe
    ("genre:'children's music'", ["genre:children's music"]),
    (f"artist:{ARTIST}", [f"artist:{ARTIST}"]),
    (f"spotify:artist:{ARTIST}", [f"artist:{ARTIST}"]),
    (f"artist:spotify:artist:{ARTIST}", [f"artist:{ARTIST}"]),
    (f"https://open.spotify.com/artist/{ARTIST}?si=x1y2", [f"artist:{ARTIST}"]),
    (f"open.spotify.com/intl-de/playlist/{PLAYLIST}", [f"playlist:{PLAYLIST}"]),
    (f"track:https://open.spotify.com/track/{ARTIST}", [f"track:{ARTIST}"]),
    ("", []),
    (["genre:rock", 'genre:"a, b", query:x'], ["genre:rock", 'genre:"a, b"', "query:x"]),  # a list (schedules)
])
def test_seeds_are_parsed_as_people_type_them(text, expected):
    seeds = parse_seeds(text)
    assert [str(s) for s in seeds] == expected
    assert not any('"' in s.key for s in seeds if s.kind == "genre")
    assert parse_seeds(",".join(expected)) == seeds  # the canonical form parses back to the same seeds


def test_parse_seeds_takes_its_own_seeds():
    assert parse_seeds([Seed("genre", "rock, paper")]) == parse_seeds('genre:"rock, paper"')


@pytest.mark.parametrize("text,says", [
    ("foo:bar", "unknown kind 'foo'"),
    ("album:" + ARTIST, "unknown kind 'album'"),
    ("rock", "no kind"),
    ("genre:", "the genre is empty"),
    ('genre:""', "the genre is empty"),
    ("genre:rock, query:  ", "the query is empty"),
    ("artist:abc", "'abc' is not a Spotify artist id"),
    (f"artist:{ARTIST}x", "is not a Spotify artist id"),
    ("playlist:P1", "'P1' is not a Spotify playlist id"),
    (f"artist:spotify:track:{ARTIST}", "that is a track link"),
    ('genre:"dance pop', "is not closed"),
    ('genre:"dance" pop', "is not closed"),
    ('genre:dance "pop"', "cannot contain a double quote"),
])
def test_bad_seeds_are_refused_with_a_message_that_names_them(text, says):
    with pytest.raises(UsageError) as err:
        parse_seeds(text)
    message = str(err.value)
    assert says in message and "\n" not in message
    assert message.startswith("bad seed '")


@pytest.mark.parametrize("seeds", ["foo:bar", "genre:", "artist:abc", 'genre:"dance pop'])
def test_cli_refuses_bad_seeds_with_exit_2_and_one_line_before_opening_anything(cli, tmp_path, seeds):
    proc = cli("crawl", "--seeds", seeds, "--no-progress",
               env={"SPOTIFY_CLIENT_ID": "x", "SPOTIFY_CLIENT_SECRET": "y", "GENRESTORE_API_URL": "http://127.0.0.1:9/v1"})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: bad seed") and "Traceback" not in proc.stderr
    assert not (tmp_path / "var" / "warehouse.duckdb").exists()


def test_job_option_refuses_bad_seeds_with_exit_2_and_one_line(cli):
    proc = cli("jobs", "run", "crawl", "-o", "seeds=genre:rock, foo:bar")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines == ["error: job crawl option seeds: bad seed 'foo:bar': unknown kind 'foo'; use genre:NAME, "
                     "artist:ID, playlist:ID, track:ID or query:WORDS, separated by commas"]


def test_schedule_options_use_the_same_parser(cli, tmp_path):
    (tmp_path / "genrestore.toml").write_text(
        '[schedules.crawl]\ninterval_seconds = 3600\noptions = { seeds = "genre:\\"dance pop\\", artist:abc" }\n')
    bad = cli("jobs", "list")
    assert bad.returncode == 2, bad.stderr
    assert bad.stderr.strip().splitlines() == [
        "error: invalid setting schedules.crawl.options: job crawl option seeds: bad seed 'artist:abc': 'abc' is "
        "not a Spotify artist id (22 letters and digits, e.g. 4Z8W4fKeB5YxbusRsdQVPb)"]
    (tmp_path / "genrestore.toml").write_text(
        '[schedules.crawl]\ninterval_seconds = 3600\noptions = { seeds = ["genre:\\"dance pop\\"", "genre:\'rock, paper\'"] }\n')
    good = cli("jobs", "list", "--json")
    assert good.returncode == 0, good.stderr


def test_job_options_keep_quoted_commas():
    from jobs import get_job

    opts = get_job("crawl").parse_options({"seeds": 'genre:"rock, paper", genre:\'dance pop\''})
    assert opts["seeds"] == ['genre:"rock, paper"', "genre:dance pop"]
    assert get_job("cycle").parse_options({"seeds": opts["seeds"]})["seeds"] == opts["seeds"]
