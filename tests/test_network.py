"""Whether the Hub can be reached (lle.network): set offline, nothing is contacted and the answer is no."""

import socket

import pytest

from lle import network


@pytest.mark.parametrize("value, offline", [("1", True), ("true", True), ("0", False), ("false", False), ("", False)])
def test_the_offline_setting_is_read_as_huggingface_reads_it(monkeypatch, value, offline):
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    assert network.hub_offline_by_setting() is offline


def test_offline_means_unreachable_without_a_connection_and_a_refused_one_is_unreachable(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no route")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert network.hub_reachable() is False
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert network.hub_reachable(timeout=0.1) is False  # the connection was refused: no exception escapes
