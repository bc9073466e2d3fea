import pytest

from litscope.config import ArxivSettings, find_project, load_config, open_project, parse_day
from litscope.errors import ConfigError


def test_defaults_and_override(tmp_path):
    (tmp_path / "litscope.yml").write_text("categories: [cs.CL]\narxiv:\n  page_size: 50\n")
    cfg = load_config(tmp_path / "litscope.yml")
    assert cfg.categories == ["cs.CL"] and cfg.arxiv.page_size == 50
    assert cfg.arxiv.delay_seconds == 3.0 and cfg.days_back == 3


def test_project_is_found_from_a_subfolder(tmp_path, monkeypatch):
    (tmp_path / "litscope.yml").write_text("data: store\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_project(sub) == tmp_path.resolve()
    monkeypatch.delenv("LITSCOPE_DATA", raising=False)
    assert open_project(sub).data_dir == (tmp_path / "store").resolve()
    monkeypatch.setenv("LITSCOPE_DATA", str(tmp_path / "elsewhere"))
    assert open_project(sub).data_dir == (tmp_path / "elsewhere").resolve()
    assert open_project(sub, data=str(tmp_path / "cli")).data_dir == (tmp_path / "cli").resolve()


@pytest.mark.parametrize("text, message", [
    ("arxiv:\n  page_sise: 10\n", "field 'arxiv.page_sise': unknown setting"),
    ("days_back: many\n", "field 'days_back'"),
    ("categories: [CS CL]\n", "field 'categories': 'CS CL' is not an arXiv category"),
    ("title: [unclosed\n", "line 2: invalid YAML"),
    ("- a list\n", "expected a mapping"),
])
def test_bad_config_names_file_and_field(tmp_path, text, message):
    (tmp_path / "litscope.yml").write_text(text)
    with pytest.raises(ConfigError, match="litscope.yml") as err:
        load_config(tmp_path / "litscope.yml")
    assert message in str(err.value)


def test_missing_project_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="litscope init"):
        open_project(tmp_path)


def test_parse_day_names_the_argument():
    assert str(parse_day("2025-12-01")) == "2025-12-01"
    with pytest.raises(ConfigError, match="--since: '2025-13-01' is not a date"):
        parse_day("2025-13-01", "--since")


def test_a_byte_that_is_not_utf8_is_named_in_one_line(tmp_path):
    path = tmp_path / "litscope.yml"
    path.write_bytes("title: My review\n# Caf".encode() + b"\xe9 notes\ncategories: [cs.CL]\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: not UTF-8 text (line 2, byte offset 22: 0xe9); save it as UTF-8"


@pytest.mark.parametrize("url", ["https://export.arxiv.org/api/query", "http://export.arxiv.org/oai2",
                                 "https://rss.arxiv.org/rss/cs.CL", "https://oaipmh.arxiv.org/oai",
                                 "https://arxiv.org/list/cs.CL/new", "https://EXPORT.arXiv.org./api/query"])
@pytest.mark.slow
def test_arxiv_hosts_get_at_least_3_s_between_requests(url):
    from litscope.config import check_polite_delay
    from litscope.sources.arxiv_api import ArxivClient
    with pytest.raises(ConfigError, match=r"arxiv.delay_seconds: 0.5 s is less than the 3 s arXiv asks "
                                          r"for between requests to [\w.]*arxiv.org; set it to 3 or more"):
        check_polite_delay(url, 0.5)
    check_polite_delay(url, 3)
    with pytest.raises(ConfigError, match="arxiv.delay_seconds: 0 s"):
        ArxivClient(ArxivSettings(delay_seconds=0), url)


@pytest.mark.parametrize("url, note", [
    ("http://127.0.0.1:8123/api/query", False), ("http://localhost/api", False), ("http://[::1]:80/", False),
    ("https://arxiv.mirror.example.org/api/query", True), ("https://notarxiv.org/api", True),
])
def test_other_hosts_may_go_faster_and_mirrors_get_a_note(url, note, caplog):
    from litscope.config import check_polite_delay
    check_polite_delay(url, 0)
    assert ("allowed because" in caplog.text) == note
    assert not note or "arxiv.delay_seconds is 0 s, less than arXiv's 3 s" in caplog.text


@pytest.fixture
def no_internet(monkeypatch):
    """Connections beyond this machine fail at once (a safety net: no test may reach arXiv)."""
    import socket
    connect = socket.socket.connect

    def local_only(sock, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise OSError("this test may not reach the internet")
        return connect(sock, address)
    monkeypatch.setattr(socket.socket, "connect", local_only)


def test_fetch_refuses_a_delay_below_3_s_for_arxiv(tmp_path, monkeypatch, capsys, no_internet):
    from litscope.cli import main
    (tmp_path / "litscope.yml").write_text("arxiv:\n  delay_seconds: 0\n  retries: 0\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LITSCOPE_ARXIV_URL", raising=False)
    assert main(["fetch", "--since", "2025-12-01", "--until", "2025-12-01", "--data", str(tmp_path / "d")]) == 2
    assert capsys.readouterr().err == ("litscope: error: arxiv.delay_seconds: 0 s is less than the 3 s "
                                       "arXiv asks for between requests to export.arxiv.org; set it to 3 or more\n")
