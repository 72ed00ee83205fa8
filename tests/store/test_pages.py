"""Generated blocks in pages (lle.store.pages): replaced one by one, nothing else touched."""

import pytest

from lle.store import pages


def test_update_block_replaces_only_the_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("top\n<!-- results:start -->\nold\n<!-- results:end -->\nbottom\n")
    pages.update_block(readme, "<!-- results:start x -->\nnew\n<!-- results:end -->")
    assert readme.read_text() == "top\n<!-- results:start x -->\nnew\n<!-- results:end -->\nbottom\n"
    (tmp_path / "plain.md").write_text("no markers")
    with pytest.raises(ValueError, match="no results block"):
        pages.update_block(tmp_path / "plain.md", "x")


def test_named_blocks_are_replaced_independently(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "a\n<!-- stc:start -->\nold\n<!-- stc:end -->\nb\n<!-- results:start -->\nkeep\n<!-- results:end -->\n"
    )
    pages.update_block(readme, pages.findings_block("stc", "10_x.ipynb", "- new"), name="stc")
    assert readme.read_text() == (
        "a\n<!-- stc:start (written by notebooks/10_x.ipynb) -->\n- new\n<!-- stc:end -->\nb\n"
        "<!-- results:start -->\nkeep\n<!-- results:end -->\n"
    )
    with pytest.raises(ValueError, match="no emotion block"):
        pages.update_block(readme, "x", name="emotion")
