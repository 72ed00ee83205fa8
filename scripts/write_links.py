"""Write the README's Binder and Colab badges and the getting-started page's launch lines from the one repository
address in pyproject.toml ([project.urls] Repository). tests/project/test_setup.py checks that they are current."""

from lle.paths import repository_url
from lle.store import pages


def main() -> None:
    url = repository_url()
    for name, block in (("badges", pages.badges_block(url)), ("launch", pages.launch_block(url))):
        print(f"wrote {pages.publish(name, block)}")


if __name__ == "__main__":
    main()
