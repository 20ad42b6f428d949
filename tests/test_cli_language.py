"""The CLI speaks one language: the stack commands take their directory the same way, and
`ccotel env` explains its own options rather than the server's."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ccotel.cli import main
from ccotel.stack.generate import DEFAULT_DIR


def test_stack_logs_takes_the_directory_as_the_other_stack_commands_do(tmp_path: Path) -> None:
    for command in (["up"], ["down"], ["status"], ["logs", "--no-follow"],
                    ["logs", "--no-follow", "loki"]):
        args = ["stack", command[0], str(tmp_path / "none"), *command[1:]]
        res = CliRunner().invoke(main, args)
        assert res.exit_code != 0 and f"no stack in {tmp_path / 'none'}" in res.output, args


def test_a_lone_service_name_reads_the_default_directory() -> None:
    res = CliRunner().invoke(main, ["stack", "logs", "grafana", "--no-follow"])
    assert res.exit_code != 0 and "no stack in grafana" not in res.output
    assert f"{Path(DEFAULT_DIR).name}" in res.output


def test_the_old_dir_option_still_works_and_says_it_is_deprecated(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["stack", "logs", "--dir", str(tmp_path / "old"),
                                    "--no-follow"])
    assert "--dir is deprecated" in res.stderr
    assert f"no stack in {tmp_path / 'old'}" in res.stderr
    assert "--dir" not in CliRunner().invoke(main, ["stack", "logs", "--help"]).output


def test_env_help_speaks_of_env_not_of_serve() -> None:
    text = CliRunner().invoke(main, ["env", "--help"], terminal_width=200).output
    assert "free port" not in text  # serve's "0 picks a free port"
    assert "serve every port" not in text  # serve's TLS help
    assert "the endpoint is https" in text
    res = CliRunner().invoke(main, ["env", "--grpc-port", "0"])
    assert res.exit_code == 2
