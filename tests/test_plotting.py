"""Figure helpers: the per-(run, dataset) grid and reproducible figure files."""
import matplotlib

matplotlib.use("Agg")

from lle.experiments.plotting import panel_grid, save_figure  # noqa: E402


def test_panel_grid_puts_each_dataset_in_its_own_column_and_hides_missing_pairs():
    keys = [("a", "goemotions"), ("a", "tweet_hate"), ("b", "tweet_hate"), ("a", "goemotions")]
    fig, panels = panel_grid(keys, rows_per_key=2)
    assert set(panels) == {("a", "goemotions"), ("a", "tweet_hate"), ("b", "tweet_hate")}
    assert all(len(block) == 2 for block in panels.values())
    grid = fig.axes
    assert len(grid) == 2 * 2 * 2  # 2 runs × 2 rows each, 2 datasets
    columns = {ds: {ax.get_subplotspec().colspan.start for ax in panels[run, ds]} for run, ds in panels}
    assert columns == {"goemotions": {0}, "tweet_hate": {1}}
    hidden = [ax for ax in grid if not ax.axison]
    assert len(hidden) == 2  # run b has no goemotions panel


def test_save_figure_is_byte_reproducible(tmp_path):
    fig, panels = panel_grid([("a", "goemotions")])
    panels["a", "goemotions"][0].plot([0, 1], [1, 0])
    first = save_figure(fig, "probe", tmp_path)
    blobs = [(tmp_path / name).read_bytes() for name in ("probe.png", "probe.pdf")]
    save_figure(fig, "probe", tmp_path)
    assert [(tmp_path / name).read_bytes() for name in ("probe.png", "probe.pdf")] == blobs
    assert [p.rsplit("/", 1)[-1] for p in first] == ["probe.png", "probe.pdf"]
