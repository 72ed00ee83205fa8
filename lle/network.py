"""Whether the Hugging Face Hub can be reached: one quick TCP connection, so that an offline machine fails in
seconds with a clear error instead of after minutes of retries. Low level: used by data loading and model
resolution alike."""

from __future__ import annotations

import os
import socket

HUB_HOST = ("huggingface.co", 443)


def hub_offline_by_setting() -> bool:
    """HF_HUB_OFFLINE set to anything but 0/false."""
    return os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0", "false", "False")


def hub_reachable(timeout: float = 3.0) -> bool:
    """True when the Hugging Face Hub answers within ``timeout`` (False when set offline)."""
    if hub_offline_by_setting():
        return False
    try:
        socket.create_connection(HUB_HOST, timeout=timeout).close()
        return True
    except OSError:
        return False
