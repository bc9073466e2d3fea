import pytest

from litscope.config import find_project, load_config, open_project, parse_day
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
