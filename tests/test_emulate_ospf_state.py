"""`erplan emulate --cleanup` and FRR 8.4's one graceful-restart file for every ospfd: removed
only when it is empty and no ospfd runs on the machine (else it may be a host's own FRR's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from erplan.emulate import host

EMPTY = '{\n  "instances":{\n  }\n}'


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ospfd-gr.json"
    monkeypatch.setattr(host, "OSPFD_GR_STATE", path)
    return path


def _processes(monkeypatch: pytest.MonkeyPatch, cmdlines: dict[int, str]) -> None:
    monkeypatch.setattr(host, "_pids", lambda: list(cmdlines))
    monkeypatch.setattr(host, "cmdline", lambda pid: cmdlines.get(pid, ""))
    monkeypatch.setattr(host, "alive", lambda pid: pid in cmdlines)


def test_an_empty_state_is_forgotten_when_no_ospfd_runs(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state.write_text(EMPTY)
    _processes(monkeypatch, {1: "/sbin/init", 2: "/usr/lib/frr/zebra -d"})
    host._forget_ospf_restart_state()
    assert not state.exists()


def test_a_running_ospfd_keeps_it(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state.write_text(EMPTY)
    _processes(monkeypatch, {7: f"{host.FRR_BIN / 'ospfd'} -d -F traditional"})
    host._forget_ospf_restart_state()
    assert state.read_text() == EMPTY


def test_a_state_with_instances_is_kept(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    held = '{"instances": {"default": {"restart": true}}}'
    state.write_text(held)
    _processes(monkeypatch, {})
    host._forget_ospf_restart_state()
    assert state.read_text() == held


@pytest.mark.parametrize("text", ["", "not json", "[]"])
def test_anything_else_is_left_alone(
    state: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    state.write_text(text)
    _processes(monkeypatch, {})
    host._forget_ospf_restart_state()
    assert state.read_text() == text


def test_no_file_is_no_error(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _processes(monkeypatch, {})
    host._forget_ospf_restart_state()
    assert not state.exists()
